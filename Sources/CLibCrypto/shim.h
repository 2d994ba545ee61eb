#ifndef HEARTBEAT_CLIBCRYPTO_SHIM_H
#define HEARTBEAT_CLIBCRYPTO_SHIM_H
/* OpenSSL's plain hash functions (MD5_Init …, SHA256_Final). OpenSSL 3 marks them deprecated in
   favour of EVP, but EVP loads the provider machinery on first use and keeps megabytes of it
   resident (and locked, in a daemon that locks its memory); these run the same code without it. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/md5.h>
#include <openssl/sha.h>
#endif
