# Sourced by the install scripts: `apt_install LABEL PACKAGE...` installs the packages that are missing,
# idempotently and non-interactively (CI=true, no stdin), safe beside other apt users (dpkg lock
# timeout). No system service is started: during the install a policy-rc.d that exits 101 forbids
# maintainer scripts from starting daemons (an existing one is kept). Debconf answers, if any, are the
# caller's to set first.
apt_install() {
    local label=$1
    shift
    local opts=(-o DPkg::Lock::Timeout=600 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
    local missing=() p
    for p in "$@"; do
        if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
            missing+=("$p")
        fi
    done
    if [ ${#missing[@]} -eq 0 ]; then
        echo "$label: all present ($*)"
        return 0
    fi
    echo "$label: installing ${missing[*]}"
    local policy=/usr/sbin/policy-rc.d created_policy=0 status=0
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' > "$policy"
        chmod 755 "$policy"
        created_policy=1
    fi
    export DEBIAN_FRONTEND=noninteractive
    # One update: skipped when the package lists already know the packages.
    if ! apt-cache show "${missing[@]}" >/dev/null 2>&1; then
        apt-get "${opts[@]}" update -q < /dev/null || status=$?
    fi
    if ! apt-get "${opts[@]}" install -y -q --no-install-recommends "${missing[@]}" < /dev/null; then
        # stale package lists, or another process left dpkg half-way: refresh, finish, retry once
        status=0
        apt-get "${opts[@]}" update -q < /dev/null || true
        dpkg --configure -a < /dev/null || true
        apt-get "${opts[@]}" install -y -q --no-install-recommends "${missing[@]}" < /dev/null || status=$?
    fi
    if [ "$created_policy" = 1 ]; then rm -f "$policy"; fi
    return "$status"
}
