#!/usr/bin/env bash
# A scratch ext4 file system with a journal (the default ext4 of most servers), made in a file and
# mounted through a loop device, for benches whose figures depend on the file system.
#
#   bench/scratch_ext4.sh mount DIR [SIZE 8G] [IMAGE DIR.img]   # make (if needed) and mount; prints DIR
#   bench/scratch_ext4.sh umount DIR [IMAGE DIR.img]            # unmount and delete the image
#
# Why: this machine's own disk is ext4 without a journal. There, ext4 never reuses an inode freed in
# the last minute (fs/ext4/ialloc.c, recently_deleted, checked only without a journal), and each new
# file's allocation steps over every such inode of its group: right after a bench deleted its last
# run's thousands of files, creating a file costs far more kernel time than on a journaled ext4, and
# more the more was deleted. Both servers pay it, unevenly. Needs root (mount).
set -euo pipefail
action=${1:?usage: scratch_ext4.sh mount|umount DIR [SIZE] [IMAGE]}
dir=$(realpath -m "${2:?usage: scratch_ext4.sh mount|umount DIR [SIZE] [IMAGE]}")
case "$action" in
mount)
    size=${3:-8G}
    image=${4:-$dir.img}
    if mountpoint -q "$dir"; then echo "$dir"; exit 0; fi
    # Allocated up front: a sparse image would grow on the disk below while a bench writes into it.
    [ -f "$image" ] || { { fallocate -l "$size" "$image" || truncate -s "$size" "$image"; } && mkfs.ext4 -q -F -E nodiscard "$image"; }
    mkdir -p "$dir"
    mount -o loop "$image" "$dir"
    echo "$dir"
    ;;
umount)
    image=${3:-$dir.img}
    if mountpoint -q "$dir"; then umount "$dir"; fi
    rm -f "$image"
    ;;
*)
    echo "scratch_ext4.sh: unknown action $action (mount or umount)" >&2
    exit 2
    ;;
esac
