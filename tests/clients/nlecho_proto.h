/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The numbers of the nlecho protocol (docs/PROTOCOL.md; defined once in
 * module/wire.rs, described in docs/nlecho.yaml; tests/host/ynl-spec.sh
 * checks this copy against wire.rs), and the PASS:/FAIL: reporting that
 * the library clients in this directory share.
 */
#ifndef NLECHO_PROTO_H
#define NLECHO_PROTO_H

#include <stdarg.h>
#include <stdio.h>

#define NETLINK_NLECHO 30

/* Message types. */
#define NLECHO_CLASSIC 0
#define NLECHO_CMD_ECHO 0x10
#define NLECHO_CMD_BROADCAST 0x11
#define NLECHO_CMD_STATS 0x12
#define NLECHO_CMD_RESET_STATS 0x13
#define NLECHO_CMD_NOTIFY 0x14
#define NLECHO_CMD_GET_GROUP 0x15

/* Attributes. */
#define NLECHO_A_GROUP 1
#define NLECHO_A_DATA 2
#define NLECHO_A_STAT_RECEIVED 3
#define NLECHO_A_STAT_BYTES 9
#define NLECHO_A_PAD 10
#define NLECHO_A_LISTENERS 11
#define NLECHO_A_SENT 12
#define NLECHO_A_DROPPED 13
#define NLECHO_A_STAT_ZERO_COPY 14
#define NLECHO_A_MAX 14

/* The module's default number of multicast groups (its `groups`). */
#define NLECHO_GROUPS 32

/* Older uapi headers lack these (linux/netlink.h). */
#ifndef NLMSGERR_ATTR_MISS_TYPE
#define NLMSGERR_ATTR_MISS_TYPE 5
#endif

/*
 * Each check is a function that returns 1 when it passes and otherwise
 * says why in `why`; report() prints its PASS:/FAIL: line.
 */
static char why[512];
static int failures;

__attribute__((format(printf, 1, 2))) static int wrong(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return 0;
}

static void report(const char *lib, const char *name, int ok)
{
	if (ok) {
		printf("PASS: %s: %s\n", lib, name);
	} else {
		printf("FAIL: %s: %s: %s\n", lib, name, why);
		failures++;
	}
	why[0] = '\0';
	fflush(stdout);
}

#endif
