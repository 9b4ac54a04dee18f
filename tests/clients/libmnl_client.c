// SPDX-License-Identifier: GPL-2.0
/*
 * nlecho through libmnl, written the way libmnl's users (iproute2's
 * mnl_utils, ethtool, nftables) write clients: mnl_socket_open() and
 * mnl_socket_bind(), messages built with mnl_nlmsg_put_header() and
 * mnl_attr_put_*(), batches with mnl_nlmsg_batch_*(), and every answer
 * run through mnl_cb_run2() with the request's sequence number and the
 * socket's port, so libmnl checks both. The NLMSG_ERROR callback reads the
 * extended ACK (libmnl 1.0.4 does not). One PASS:/FAIL: line per check;
 * the exit status is the number of failures.
 *
 *   libmnl_client       as root (BROADCAST and RESET_STATS need CAP_NET_ADMIN),
 *                       nlecho loaded with its defaults, nothing else using it
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <linux/netlink.h>
#include <libmnl/libmnl.h>

#include "nlecho_proto.h"

#define LIB "libmnl"
#define GROUP 6

/* What one exchange saw. */
struct answer {
	int data;                        /* data messages (type >= 0x10) */
	uint16_t type, flags;            /* of the last data message */
	uint32_t seq, pid;
	char payload[256];               /* its payload */
	int payload_len;
	const struct nlattr *tb[NLECHO_A_MAX + 1]; /* its attributes, while the buffer lives */
	int u64_misaligned;              /* a u64 not 8-byte aligned, or -1 */
	uint32_t msg_len;
	int done, done_len;              /* NLMSG_DONE seen, and its payload's length */
	char done_payload[256];
	int error;                       /* NLMSG_ERROR: the errno, 0 for an ACK */
	uint16_t err_flags;
	uint32_t err_pid, err_echoed_len;
	char ext_msg[128];               /* NLMSGERR_ATTR_MSG */
	long offs, miss_type;            /* NLMSGERR_ATTR_OFFS, _MISS_TYPE, or -1 */
};

/* Room for any datagram the kernel sends here: a dump's fill the size
 * of the reader's recvmsg() buffers, up to 32 KiB (libmnl 1.0.5 names
 * this MNL_SOCKET_DUMP_SIZE). Requests use MNL_SOCKET_BUFFER_SIZE. */
#define RECV_SIZE 32768

static struct mnl_socket *nl;
static unsigned int portid;
static char buf[RECV_SIZE];

static void reset(struct answer *a)
{
	memset(a, 0, sizeof(*a));
	a->offs = a->miss_type = a->u64_misaligned = -1;
	a->error = 1; /* no NLMSG_ERROR yet */
}

/* The STATS counters: 3-9, and 14, added after the group attributes. */
static int is_stat(int type)
{
	return (type >= NLECHO_A_STAT_RECEIVED && type <= NLECHO_A_STAT_BYTES) ||
	       type == NLECHO_A_STAT_ZERO_COPY;
}

static int is_u64(int type)
{
	return is_stat(type) || type == NLECHO_A_SENT || type == NLECHO_A_DROPPED;
}

struct attr_walk {
	struct answer *a;
	const struct nlmsghdr *nlh;
};

static int attr_cb(const struct nlattr *attr, void *data)
{
	struct attr_walk *w = data;
	int type = mnl_attr_get_type(attr);

	if (mnl_attr_type_valid(attr, NLECHO_A_MAX) < 0)
		return MNL_CB_OK; /* newer than this client: skip it */
	if (type == NLECHO_A_GROUP || type == NLECHO_A_LISTENERS) {
		if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
			return MNL_CB_ERROR;
	} else if (is_u64(type)) {
		if (mnl_attr_validate(attr, MNL_TYPE_U64) < 0)
			return MNL_CB_ERROR;
		if (((const char *)mnl_attr_get_payload(attr) - (const char *)w->nlh) % 8)
			w->a->u64_misaligned = type;
	}
	w->a->tb[type] = attr;
	return MNL_CB_OK;
}

/* Every data message (type 0x10 and up). */
static int data_cb(const struct nlmsghdr *nlh, void *data)
{
	struct answer *a = data;
	struct attr_walk w = { a, nlh };
	int len = mnl_nlmsg_get_payload_len(nlh);

	a->data++;
	a->type = nlh->nlmsg_type;
	a->flags = nlh->nlmsg_flags;
	a->seq = nlh->nlmsg_seq;
	a->pid = nlh->nlmsg_pid;
	a->msg_len = nlh->nlmsg_len;
	a->payload_len = len;
	memcpy(a->payload, mnl_nlmsg_get_payload(nlh), len < 256 ? len : 256);
	memset(a->tb, 0, sizeof(a->tb));
	if (nlh->nlmsg_type == NLECHO_CMD_ECHO)
		return MNL_CB_OK; /* its payload is data, not attributes */
	return mnl_attr_parse(nlh, 0, attr_cb, &w);
}

static int done_cb(const struct nlmsghdr *nlh, void *data)
{
	struct answer *a = data;
	int len = mnl_nlmsg_get_payload_len(nlh);

	a->done++;
	a->done_len = len;
	memcpy(a->done_payload, mnl_nlmsg_get_payload(nlh), len < 256 ? len : 256);
	return MNL_CB_STOP;
}

static int ext_attr_cb(const struct nlattr *attr, void *data)
{
	struct answer *a = data;

	switch (mnl_attr_get_type(attr)) {
	case NLMSGERR_ATTR_MSG:
		if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0)
			return MNL_CB_ERROR;
		snprintf(a->ext_msg, sizeof(a->ext_msg), "%s", mnl_attr_get_str(attr));
		break;
	case NLMSGERR_ATTR_OFFS:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
			return MNL_CB_ERROR;
		a->offs = mnl_attr_get_u32(attr);
		break;
	case NLMSGERR_ATTR_MISS_TYPE:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
			return MNL_CB_ERROR;
		a->miss_type = mnl_attr_get_u32(attr);
		break;
	}
	return MNL_CB_OK;
}

/* NLMSG_ERROR, as iproute2's mnl_utils reads it: error 0 is the ACK that
 * ends the exchange; otherwise the extended ACK follows the echoed request
 * (only its header when NLM_F_CAPPED), and errno says what failed. */
static int error_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
	struct answer *a = data;
	unsigned int off = sizeof(*err);

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*err))) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	a->error = -err->error;
	a->err_flags = nlh->nlmsg_flags;
	a->err_pid = nlh->nlmsg_pid;
	a->err_echoed_len = err->msg.nlmsg_len;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += err->msg.nlmsg_len - sizeof(err->msg);
	if ((nlh->nlmsg_flags & NLM_F_ACK_TLVS) && mnl_nlmsg_get_payload_len(nlh) > off)
		mnl_attr_parse(nlh, off, ext_attr_cb, a);
	if (err->error == 0)
		return MNL_CB_STOP;
	errno = -err->error;
	return MNL_CB_ERROR;
}

static mnl_cb_t ctl_cb[NLMSG_MIN_TYPE] = {
	[NLMSG_ERROR] = error_cb,
	[NLMSG_DONE] = done_cb,
};

/* Reads the answers to request SEQ until the ACK, an error, or the
 * NLMSG_DONE: 0 when it ended well, -1 with errno otherwise. */
static int run(struct mnl_socket *sock, unsigned int seq, unsigned int port, struct answer *a)
{
	int ret;

	do {
		ret = mnl_socket_recvfrom(sock, buf, sizeof(buf));
		if (ret < 0)
			return -1;
		ret = mnl_cb_run2(buf, ret, seq, port, data_cb, a, ctl_cb, MNL_ARRAY_SIZE(ctl_cb));
	} while (ret > 0);
	return ret;
}

static void set_timeout(struct mnl_socket *sock)
{
	struct timeval tv = { .tv_sec = 5 };

	if (setsockopt(mnl_socket_get_fd(sock), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
		perror("setsockopt(SO_RCVTIMEO)");
		exit(100);
	}
}

static struct mnl_socket *open_socket(unsigned int *port)
{
	struct mnl_socket *sock = mnl_socket_open(NETLINK_NLECHO);
	int one = 1;

	if (!sock || mnl_socket_bind(sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		printf("FAIL: %s: socket on netlink protocol %d: %s (is nlecho loaded?)\n", LIB,
		       NETLINK_NLECHO, strerror(errno));
		exit(100);
	}
	if (mnl_socket_setsockopt(sock, NETLINK_EXT_ACK, &one, sizeof(one)) < 0) {
		perror("mnl_socket_setsockopt(NETLINK_EXT_ACK)");
		exit(100);
	}
	set_timeout(sock);
	*port = mnl_socket_get_portid(sock);
	return sock;
}

static unsigned int next_seq(void)
{
	static unsigned int seq;

	if (!seq)
		seq = time(NULL);
	return ++seq;
}

static struct nlmsghdr *request(void *at, int type, int flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(at);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = next_seq();
	return nlh;
}

static int send_msg(struct mnl_socket *sock, const struct nlmsghdr *nlh)
{
	if (mnl_socket_sendto(sock, nlh, nlh->nlmsg_len) < 0)
		return wrong("mnl_socket_sendto: %s", strerror(errno));
	return 1;
}

static const char *describe(const struct answer *a)
{
	static char s[320];

	snprintf(s, sizeof(s), "%d data message(s) (last type 0x%x seq %u), %d NLMSG_DONE, error %d '%s'",
		 a->data, a->type, a->seq, a->done, a->error == 1 ? 0 : a->error, a->ext_msg);
	return s;
}

/* Sends NLH on nl and reads its answers into A: 0 if either failed. */
static int exchange(const struct nlmsghdr *nlh, struct answer *a)
{
	reset(a);
	if (!send_msg(nl, nlh))
		return 0;
	if (run(nl, nlh->nlmsg_seq, portid, a) < 0)
		return wrong("%s; saw %s", strerror(errno), describe(a));
	return 1;
}

/* A TYPE request with TEXT as its payload. */
static struct nlmsghdr *text_request(void *at, int type, const char *text)
{
	struct nlmsghdr *nlh = request(at, type, 0);
	size_t len = strlen(text);

	memcpy(mnl_nlmsg_put_extra_header(nlh, len), text, len);
	return nlh;
}

/* ECHO: the reply (type 0x10, same seq, same payload), then the ACK. */
static int echo(const char *text)
{
	char req[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = text_request(req, NLECHO_CMD_ECHO, text);
	struct answer a;

	if (!exchange(nlh, &a))
		return 0;
	if (a.data != 1 || a.type != NLECHO_CMD_ECHO || a.error != 0)
		return wrong("wanted one type 0x10 reply and an ACK, saw %s", describe(&a));
	if (a.payload_len != (int)(nlh->nlmsg_len - MNL_NLMSG_HDRLEN) ||
	    memcmp(a.payload, mnl_nlmsg_get_payload(nlh), a.payload_len))
		return wrong("the payload came back changed (%d bytes)", a.payload_len);
	return 1;
}

/* Classic type 0 with NLM_F_REQUEST | NLM_F_ACK: the payload comes back in
 * NLMSG_DONE, which ends the exchange (a late ACK would fail the next
 * exchange's sequence check). */
static int classic(void)
{
	const char *text = "Hello kernel, from libmnl";
	char req[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = text_request(req, NLECHO_CLASSIC, text);
	struct answer a;
	int sent;

	if (!exchange(nlh, &a))
		return 0;
	if (a.done != 1 || a.data || a.error != 1)
		return wrong("wanted one NLMSG_DONE, saw %s", describe(&a));
	/* mnl_nlmsg_put_extra_header() pads the payload to 4 bytes. */
	sent = nlh->nlmsg_len - MNL_NLMSG_HDRLEN;
	if (a.done_len != sent || memcmp(a.done_payload, mnl_nlmsg_get_payload(nlh), sent))
		return wrong("the NLMSG_DONE carries %d bytes, not the %d sent", a.done_len, sent);
	return 1;
}

static int reset_stats(void)
{
	char req[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = request(req, NLECHO_CMD_RESET_STATS, 0);
	struct answer a;

	if (!exchange(nlh, &a))
		return 0;
	if (a.error != 0 || a.data)
		return wrong("wanted only an ACK, saw %s", describe(&a));
	if (a.err_pid != portid)
		return wrong("the ACK's nlmsg_pid is %u, not the requester's port %u", a.err_pid, portid);
	return 1;
}

static int stats(void)
{
	char req[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = request(req, NLECHO_CMD_STATS, 0);
	struct answer a;
	int t;

	if (!exchange(nlh, &a))
		return 0;
	if (a.data != 1 || a.type != NLECHO_CMD_STATS || a.error != 0)
		return wrong("wanted a type 0x12 reply and an ACK, saw %s", describe(&a));
	if (a.msg_len % 8 || a.u64_misaligned != -1)
		return wrong("%u-byte reply; u64 attribute %d not 8-byte aligned", a.msg_len, a.u64_misaligned);
	/* Only whether they were there: the ACK's datagram has since
	 * replaced the reply's in the buffer. */
	for (t = 0; t <= NLECHO_A_MAX; t++)
		if (is_stat(t) && !a.tb[t])
			return wrong("the reply lacks counter attribute %d", t);
	return 1;
}

/* A request that fails: its errno and extended ACK; the error carries the
 * requester's port, and the whole request unless the socket set
 * NETLINK_CAP_ACK, in which case only its header (NLM_F_CAPPED). */
static int fails(struct mnl_socket *sock, unsigned int port, struct nlmsghdr *nlh, int errnum,
		 const char *text, long offs, long miss_type, int capped)
{
	struct answer a;

	reset(&a);
	if (!send_msg(sock, nlh))
		return 0;
	if (run(sock, nlh->nlmsg_seq, port, &a) != -1 || errno != errnum)
		return wrong("wanted %s, got '%s'; saw %s", strerror(errnum), strerror(errno), describe(&a));
	if (a.data || a.done)
		return wrong("a failed request got more than its error: %s", describe(&a));
	if (a.err_pid != port)
		return wrong("the error's nlmsg_pid is %u, not the requester's port %u", a.err_pid, port);
	if (!!(a.err_flags & NLM_F_CAPPED) != capped || a.err_echoed_len != nlh->nlmsg_len)
		return wrong("flags 0x%x: wanted the request's %s (echoed nlmsg_len %u of %u)", a.err_flags,
			     capped ? "header only, NLM_F_CAPPED" : "whole message", a.err_echoed_len,
			     nlh->nlmsg_len);
	if (!(a.err_flags & NLM_F_ACK_TLVS))
		return wrong("no extended ACK (NLM_F_ACK_TLVS not set, flags 0x%x)", a.err_flags);
	if (!strstr(a.ext_msg, text))
		return wrong("extended ACK message '%s', wanted '%s'", a.ext_msg, text);
	if (a.offs != offs || a.miss_type != miss_type)
		return wrong("NLMSGERR_ATTR_OFFS %ld and _MISS_TYPE %ld, wanted %ld and %ld", a.offs,
			     a.miss_type, offs, miss_type);
	printf("libmnl: kernel says: %s (offset %ld, missing type %ld)\n", a.ext_msg, a.offs, a.miss_type);
	return 1;
}

static int bad_group(void)
{
	char req[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = request(req, NLECHO_CMD_GET_GROUP, 0);

	mnl_attr_put_u32(nlh, NLECHO_A_GROUP, 999);
	return fails(nl, portid, nlh, ERANGE, "no such group", MNL_NLMSG_HDRLEN, -1, 0);
}

/* GROUP as a u16: the policy's size check, pointing at the attribute,
 * here the second one. */
static int short_group(void)
{
	char req[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = request(req, NLECHO_CMD_BROADCAST, 0);
	long second;

	mnl_attr_put_str(nlh, NLECHO_A_DATA, "data");
	second = nlh->nlmsg_len;
	mnl_attr_put_u16(nlh, NLECHO_A_GROUP, GROUP);
	return fails(nl, portid, nlh, EINVAL, "u32", second, -1, 0);
}

static int unknown_type(void)
{
	char req[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = request(req, 0x1f, 0);

	return fails(nl, portid, nlh, EOPNOTSUPP, "unknown message type", -1, -1, 0);
}

static int no_dump(void)
{
	char req[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = request(req, NLECHO_CMD_STATS, NLM_F_DUMP);

	return fails(nl, portid, nlh, EOPNOTSUPP, "this command has no dump", -1, -1, 0);
}

/* The same missing-attribute error on a socket with NETLINK_CAP_ACK. */
static int capped_error(void)
{
	char req[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = request(req, NLECHO_CMD_GET_GROUP, 0);
	unsigned int port;
	struct mnl_socket *sock = open_socket(&port);
	int one = 1, ok;

	if (mnl_socket_setsockopt(sock, NETLINK_CAP_ACK, &one, sizeof(one)) < 0) {
		mnl_socket_close(sock);
		return wrong("NETLINK_CAP_ACK: %s", strerror(errno));
	}
	ok = fails(sock, port, nlh, EINVAL, "missing attribute", -1, NLECHO_A_GROUP, 1);
	mnl_socket_close(sock);
	return ok;
}

/* A listener: bound, in GROUP; notifications carry seq 0 and port 0, so
 * mnl_cb_run() gets 0 for both. BROADCAST comes from another socket. */
static int notification(struct mnl_socket *ln)
{
	const char *text = "notification through libmnl";
	char req[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = request(req, NLECHO_CMD_BROADCAST, 0);
	struct answer a;
	int ret;

	reset(&a);
	mnl_attr_put_u32(nlh, NLECHO_A_GROUP, GROUP);
	mnl_attr_put(nlh, NLECHO_A_DATA, strlen(text), text);
	if (!send_msg(nl, nlh))
		return 0;
	if (run(nl, nlh->nlmsg_seq, portid, &a) < 0 || a.error != 0)
		return wrong("BROADCAST: %s; saw %s", strerror(errno), describe(&a));
	reset(&a);
	ret = mnl_socket_recvfrom(ln, buf, sizeof(buf));
	if (ret < 0)
		return wrong("the listener got nothing: %s", strerror(errno));
	ret = mnl_cb_run2(buf, ret, 0, 0, data_cb, &a, ctl_cb, MNL_ARRAY_SIZE(ctl_cb));
	if (ret < 0)
		return wrong("mnl_cb_run2 on the listener: %s; saw %s", strerror(errno), describe(&a));
	if (a.data != 1)
		return wrong("the data callback did not get the notification; saw %s", describe(&a));
	if (a.type != NLECHO_CMD_NOTIFY || a.seq || a.pid || a.flags)
		return wrong("wanted type 0x14, seq 0, port 0, flags 0; saw type 0x%x seq %u port %u flags 0x%x",
			     a.type, a.seq, a.pid, a.flags);
	if (!a.tb[NLECHO_A_GROUP] || mnl_attr_get_u32(a.tb[NLECHO_A_GROUP]) != GROUP)
		return wrong("NOTIFY without GROUP %d", GROUP);
	if (!a.tb[NLECHO_A_DATA] || mnl_attr_get_payload_len(a.tb[NLECHO_A_DATA]) != strlen(text) ||
	    memcmp(mnl_attr_get_payload(a.tb[NLECHO_A_DATA]), text, strlen(text)))
		return wrong("NOTIFY without DATA '%s'", text);
	return 1;
}

/* The GET_GROUP dump's data callback: groups 1..32 in order. */
struct dump_state {
	struct answer a;
	int next, bad;
	char why[200];
};

static int dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump_state *d = data;
	uint32_t group, listeners;
	int ret = data_cb(nlh, &d->a);

	if (ret < 0 || d->bad)
		return ret;
	d->next++;
	if (!(nlh->nlmsg_flags & NLM_F_MULTI) || nlh->nlmsg_type != NLECHO_CMD_GET_GROUP ||
	    nlh->nlmsg_pid != portid || nlh->nlmsg_len % 8 || d->a.u64_misaligned != -1)
		snprintf(d->why, sizeof(d->why), "message %d: type 0x%x flags 0x%x port %u len %u, u64 %d "
			 "misaligned", d->next, nlh->nlmsg_type, nlh->nlmsg_flags, nlh->nlmsg_pid,
			 nlh->nlmsg_len, d->a.u64_misaligned);
	else if (!d->a.tb[NLECHO_A_GROUP] || !d->a.tb[NLECHO_A_LISTENERS] || !d->a.tb[NLECHO_A_SENT] ||
		 !d->a.tb[NLECHO_A_DROPPED])
		snprintf(d->why, sizeof(d->why), "message %d lacks GROUP, LISTENERS, SENT or DROPPED", d->next);
	else if ((group = mnl_attr_get_u32(d->a.tb[NLECHO_A_GROUP])) != (uint32_t)d->next)
		snprintf(d->why, sizeof(d->why), "message %d is for group %u", d->next, group);
	else if ((listeners = mnl_attr_get_u32(d->a.tb[NLECHO_A_LISTENERS])) != (uint32_t)(group == GROUP))
		snprintf(d->why, sizeof(d->why), "group %u has LISTENERS %u", group, listeners);
	else if (group == GROUP && mnl_attr_get_u64(d->a.tb[NLECHO_A_SENT]) < 1)
		snprintf(d->why, sizeof(d->why), "group %u has SENT 0 after a broadcast", group);
	else
		return MNL_CB_OK;
	d->bad = 1;
	return MNL_CB_OK;
}

static int dump(void)
{
	char req[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = request(req, NLECHO_CMD_GET_GROUP, NLM_F_DUMP);
	struct dump_state d;
	int ret, datagrams = 0;

	memset(&d, 0, sizeof(d));
	reset(&d.a);
	if (!send_msg(nl, nlh))
		return 0;
	do {
		ret = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (ret < 0)
			return wrong("after %d datagrams: %s; saw %s", datagrams, strerror(errno), describe(&d.a));
		datagrams++;
		ret = mnl_cb_run2(buf, ret, nlh->nlmsg_seq, portid, dump_cb, &d, ctl_cb,
				  MNL_ARRAY_SIZE(ctl_cb));
	} while (ret > 0);
	if (ret < 0)
		return wrong("%s; saw %s", strerror(errno), describe(&d.a));
	if (d.bad)
		return wrong("%s", d.why);
	if (d.next != NLECHO_GROUPS || d.a.done != 1 || d.a.error != 1)
		return wrong("wanted %d groups then NLMSG_DONE and no error; saw %d, %s", NLECHO_GROUPS,
			     d.next, describe(&d.a));
	if (d.a.done_len < (int)sizeof(int) || *(int *)d.a.done_payload != 0)
		return wrong("the NLMSG_DONE does not carry int 0");
	printf("libmnl: the dump took %d datagram(s)\n", datagrams);
	return 1;
}

/* ECHO, a GET_GROUP that fails and STATS in one datagram, with
 * mnl_nlmsg_batch: each is answered in order, with its own sequence
 * number, and the failure does not stop the rest. */
static int batch(void)
{
	char req[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_nlmsg_batch *b = mnl_nlmsg_batch_start(req, sizeof(req));
	unsigned int seq[3];
	struct nlmsghdr *nlh;
	struct answer a;
	int ok = 0;

	nlh = request(mnl_nlmsg_batch_current(b), NLECHO_CMD_ECHO, 0);
	memcpy(mnl_nlmsg_put_extra_header(nlh, 8), "batched!", 8);
	seq[0] = nlh->nlmsg_seq;
	mnl_nlmsg_batch_next(b);
	nlh = request(mnl_nlmsg_batch_current(b), NLECHO_CMD_GET_GROUP, 0);
	mnl_attr_put_u32(nlh, NLECHO_A_GROUP, 999);
	seq[1] = nlh->nlmsg_seq;
	mnl_nlmsg_batch_next(b);
	nlh = request(mnl_nlmsg_batch_current(b), NLECHO_CMD_STATS, 0);
	seq[2] = nlh->nlmsg_seq;
	mnl_nlmsg_batch_next(b);

	if (mnl_socket_sendto(nl, mnl_nlmsg_batch_head(b), mnl_nlmsg_batch_size(b)) < 0) {
		wrong("mnl_socket_sendto: %s", strerror(errno));
		goto out;
	}
	reset(&a);
	if (run(nl, seq[0], portid, &a) < 0 || a.data != 1 || a.type != NLECHO_CMD_ECHO || a.error ||
	    a.payload_len != 8 || memcmp(a.payload, "batched!", 8)) {
		wrong("first (ECHO): %s; saw %s", strerror(errno), describe(&a));
		goto out;
	}
	reset(&a);
	if (run(nl, seq[1], portid, &a) != -1 || errno != ERANGE || a.data) {
		wrong("second (GET_GROUP 999): wanted ERANGE, saw %s", describe(&a));
		goto out;
	}
	reset(&a);
	if (run(nl, seq[2], portid, &a) < 0 || a.data != 1 || a.type != NLECHO_CMD_STATS || a.error) {
		wrong("third (STATS): %s; saw %s", strerror(errno), describe(&a));
		goto out;
	}
	ok = 1;
out:
	mnl_nlmsg_batch_stop(b);
	return ok;
}

int main(void)
{
	unsigned int lport;
	struct mnl_socket *ln;
	int group = GROUP;

	nl = open_socket(&portid);
	report(LIB, "ECHO (0x10): the reply carries the payload, then the ACK", echo("hello from libmnl"));
	report(LIB, "classic type 0 with NLM_F_ACK: the payload comes back in NLMSG_DONE", classic());
	report(LIB, "no ACK follows that NLMSG_DONE: the next ECHO passes mnl_cb_run's sequence check",
	       echo("after the classic request"));
	report(LIB, "RESET_STATS: acknowledged, the ACK addressed to the requester's port", reset_stats());
	report(LIB, "STATS: eight u64 counters, 8-byte aligned, then the ACK", stats());
	report(LIB, "GET_GROUP 999: ERANGE, extended ACK 'no such group' pointing at GROUP", bad_group());
	report(LIB, "BROADCAST with a 2-byte GROUP: EINVAL, extended ACK pointing at GROUP", short_group());
	report(LIB, "unknown type 0x1f: EOPNOTSUPP, extended ACK 'unknown message type'", unknown_type());
	report(LIB, "STATS with NLM_F_DUMP: EOPNOTSUPP, extended ACK 'this command has no dump'", no_dump());
	report(LIB, "NETLINK_CAP_ACK: the error echoes only the request's header (NLM_F_CAPPED), "
		    "missing type GROUP", capped_error());

	ln = open_socket(&lport);
	if (mnl_socket_setsockopt(ln, NETLINK_ADD_MEMBERSHIP, &group, sizeof(group)) < 0) {
		printf("FAIL: %s: NETLINK_ADD_MEMBERSHIP %d: %s\n", LIB, group, strerror(errno));
		return failures + 1;
	}
	report(LIB, "BROADCAST to group 6: the listener's data callback gets NOTIFY with GROUP and DATA",
	       notification(ln));
	report(LIB, "GET_GROUP dump: groups 1-32 with NLM_F_MULTI, group 6 listened to and sent to, "
		    "then NLMSG_DONE", dump());
	mnl_socket_close(ln);
	report(LIB, "no ACK follows the dump's NLMSG_DONE: the next ECHO passes mnl_cb_run's sequence check",
	       echo("after the dump"));
	report(LIB, "batch of ECHO, a failing GET_GROUP and STATS in one datagram: answered in order",
	       batch());
	mnl_socket_close(nl);
	return failures;
}
