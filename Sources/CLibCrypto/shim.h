#ifndef HEARTBEAT_CLIBCRYPTO_SHIM_H
#define HEARTBEAT_CLIBCRYPTO_SHIM_H
#include <openssl/evp.h>
#include <openssl/hmac.h>
#endif
