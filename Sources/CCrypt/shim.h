// crypt_r lives in <crypt.h> (libxcrypt on Debian); _GNU_SOURCE is not needed for it there.
#include <crypt.h>
