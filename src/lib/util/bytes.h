/*
 * Internal: fixed-width integers in files and wire formats, byte by byte
 * (no alignment or host byte order assumed). Little endian for our own
 * files (order index, message cache); big endian where git and SSH say so
 * (pack files, SSHSIG blobs, the verification cache).
 */
#ifndef GITCHAT_UTIL_BYTES_H
#define GITCHAT_UTIL_BYTES_H

#include <stdint.h>

static inline uint16_t gitchat_le16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t gitchat_le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t gitchat_le64(const unsigned char *p)
{
	return (uint64_t)gitchat_le32(p) | (uint64_t)gitchat_le32(p + 4) << 32;
}

static inline void gitchat_put_le16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

static inline void gitchat_put_le32(unsigned char *p, uint32_t v)
{
	gitchat_put_le16(p, (uint16_t)v);
	gitchat_put_le16(p + 2, (uint16_t)(v >> 16));
}

static inline void gitchat_put_le64(unsigned char *p, uint64_t v)
{
	gitchat_put_le32(p, (uint32_t)v);
	gitchat_put_le32(p + 4, (uint32_t)(v >> 32));
}

static inline uint32_t gitchat_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void gitchat_put_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

#endif
