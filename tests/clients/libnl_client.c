// SPDX-License-Identifier: GPL-2.0
/*
 * nlecho through libnl-3, written the way libnl's users write clients:
 * nl_socket_alloc() and nl_connect(), messages built with
 * nlmsg_alloc_simple() and nla_put_*(), sent with nl_send_auto() or
 * nl_send_sync(), answers read with nl_recvmsgs_default() and callbacks.
 * libnl's defaults stay on: every request gets NLM_F_REQUEST | NLM_F_ACK
 * (auto-ACK), and every answer must carry the sequence number libnl
 * expects next. libnl 3.7 does not read extended ACKs, so the error
 * callback reads them as iw's does. One PASS:/FAIL: line per check; the
 * exit status is the number of failures.
 *
 *   libnl_client        as root (BROADCAST and RESET_STATS need CAP_NET_ADMIN),
 *                       nlecho loaded with its defaults, nothing else using it
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <linux/netlink.h>
#include <netlink/netlink.h>
#include <netlink/attr.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/socket.h>

#include "nlecho_proto.h"

#define LIB "libnl"
#define GROUP 5

/* What the callbacks saw, in order. */
enum kind { VALID, FINISH, ACK, ERROR };
static const char *const kind_names[] = { "message", "NLMSG_DONE", "ACK", "error" };

struct event {
	enum kind kind;
	struct nlmsghdr *nlh; /* a copy of the whole message */
	int error;            /* ERROR: the negative errno */
	char ext_msg[128];    /* ERROR: NLMSGERR_ATTR_MSG */
	long offs, miss_type; /* ERROR: NLMSGERR_ATTR_OFFS and _MISS_TYPE, or -1 */
	uint32_t echoed_len;  /* ERROR: nlmsg_len of the request it echoes */
};

#define MAX_EVENTS 80
static struct event events[MAX_EVENTS];
static int nevents;
/* What the error callback returns: NL_STOP ends nl_recvmsgs() there. */
static int on_error = NL_STOP;
/* ACKs received, counted by NL_CB_MSG_IN, which also sees those that
 * nl_wait_for_ack() and nl_send_sync() consume: with the receive timeout
 * below, they return 0 whether the ACK came or not. */
static int acks;

static struct event *record(enum kind kind, const struct nlmsghdr *nlh)
{
	struct event *e;

	if (nevents == MAX_EVENTS)
		return NULL;
	e = &events[nevents++];
	memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->offs = e->miss_type = -1;
	e->nlh = malloc(nlh->nlmsg_len);
	if (!e->nlh) {
		perror("malloc");
		exit(100);
	}
	memcpy(e->nlh, nlh, nlh->nlmsg_len);
	return e;
}

static void forget(void)
{
	while (nevents > 0)
		free(events[--nevents].nlh);
	acks = 0;
}

/* The events so far, for a FAIL line. */
static const char *seen(void)
{
	static char buf[320];
	size_t n = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < nevents && n < sizeof(buf) - 64; i++)
		n += snprintf(buf + n, sizeof(buf) - n, "%s%s type 0x%x seq %u error %d '%s'",
			      i ? "; " : "", kind_names[events[i].kind], events[i].nlh->nlmsg_type,
			      events[i].nlh->nlmsg_seq, events[i].error, events[i].ext_msg);
	return nevents ? buf : "nothing";
}

static int msg_in_cb(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);

	(void)arg;
	if (nlh->nlmsg_type == NLMSG_ERROR && nlh->nlmsg_len >= (uint32_t)nlmsg_size(sizeof(struct nlmsgerr)) &&
	    ((struct nlmsgerr *)nlmsg_data(nlh))->error == 0)
		acks++;
	return NL_OK;
}

static int valid_cb(struct nl_msg *msg, void *arg)
{
	(void)arg;
	record(VALID, nlmsg_hdr(msg));
	return NL_OK;
}

static int finish_cb(struct nl_msg *msg, void *arg)
{
	(void)arg;
	record(FINISH, nlmsg_hdr(msg));
	return NL_STOP;
}

static int ack_cb(struct nl_msg *msg, void *arg)
{
	(void)arg;
	record(ACK, nlmsg_hdr(msg));
	return NL_STOP;
}

/* iw's error handler: the extended ACK follows the echoed request, which
 * is only its header when the kernel capped it. */
static int error_cb(struct sockaddr_nl *nla, struct nlmsgerr *err, void *arg)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)err - 1;
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	int ack_len = sizeof(*nlh) + sizeof(int) + sizeof(*nlh);
	struct event *e = record(ERROR, nlh);

	(void)nla;
	(void)arg;
	if (!e)
		return NL_STOP;
	e->error = err->error;
	e->echoed_len = err->msg.nlmsg_len;
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return on_error;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		ack_len += err->msg.nlmsg_len - sizeof(*nlh);
	if ((int)nlh->nlmsg_len <= ack_len)
		return on_error;
	if (nla_parse(tb, NLMSGERR_ATTR_MAX, (struct nlattr *)((unsigned char *)nlh + ack_len),
		      nlh->nlmsg_len - ack_len, NULL) < 0)
		return on_error;
	if (tb[NLMSGERR_ATTR_MSG])
		snprintf(e->ext_msg, sizeof(e->ext_msg), "%.*s",
			 (int)strnlen(nla_data(tb[NLMSGERR_ATTR_MSG]), nla_len(tb[NLMSGERR_ATTR_MSG])),
			 (char *)nla_data(tb[NLMSGERR_ATTR_MSG]));
	if (tb[NLMSGERR_ATTR_OFFS])
		e->offs = nla_get_u32(tb[NLMSGERR_ATTR_OFFS]);
	if (tb[NLMSGERR_ATTR_MISS_TYPE])
		e->miss_type = nla_get_u32(tb[NLMSGERR_ATTR_MISS_TYPE]);
	return on_error;
}

/* A receive timeout, so that a missing answer fails a check instead of
 * hanging it: libnl's nl_recvmsgs() then returns 0 with nothing seen. */
static void set_timeout(struct nl_sock *sk)
{
	struct timeval tv = { .tv_sec = 5 };

	if (setsockopt(nl_socket_get_fd(sk), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
		perror("setsockopt(SO_RCVTIMEO)");
		exit(100);
	}
}

static struct nl_sock *open_socket(void)
{
	struct nl_sock *sk = nl_socket_alloc();
	int one = 1, err;

	if (!sk) {
		printf("FAIL: %s: nl_socket_alloc() failed\n", LIB);
		exit(100);
	}
	nl_socket_modify_cb(sk, NL_CB_MSG_IN, NL_CB_CUSTOM, msg_in_cb, NULL);
	nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, valid_cb, NULL);
	nl_socket_modify_cb(sk, NL_CB_FINISH, NL_CB_CUSTOM, finish_cb, NULL);
	nl_socket_modify_cb(sk, NL_CB_ACK, NL_CB_CUSTOM, ack_cb, NULL);
	nl_socket_modify_err_cb(sk, NL_CB_CUSTOM, error_cb, NULL);
	err = nl_connect(sk, NETLINK_NLECHO);
	if (err < 0) {
		printf("FAIL: %s: nl_connect() to netlink protocol %d: %s (is nlecho loaded?)\n", LIB,
		       NETLINK_NLECHO, nl_geterror(err));
		exit(100);
	}
	/* libnl 3.7 has no call for this; iproute2 and iw set it the same way. */
	if (setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one)) < 0) {
		perror("setsockopt(NETLINK_EXT_ACK)");
		exit(100);
	}
	set_timeout(sk);
	return sk;
}

static struct nl_msg *new_msg(int type, int flags)
{
	struct nl_msg *msg = nlmsg_alloc_simple(type, flags);

	if (!msg) {
		printf("FAIL: %s: nlmsg_alloc_simple() failed\n", LIB);
		exit(100);
	}
	return msg;
}

/* Sends MSG with nl_send_auto() (which adds NLM_F_REQUEST | NLM_F_ACK, the
 * port and the next sequence number), frees it and returns its seq. */
static int send_auto(struct nl_sock *sk, struct nl_msg *msg, uint32_t *seq, uint32_t *len)
{
	int err = nl_send_auto(sk, msg);

	*seq = nlmsg_hdr(msg)->nlmsg_seq;
	if (len)
		*len = nlmsg_hdr(msg)->nlmsg_len;
	nlmsg_free(msg);
	if (err < 0)
		return wrong("nl_send_auto: %s", nl_geterror(err));
	return 1;
}

/* Sends MSG and reads what answers it, one datagram, into events[]. */
static int exchange(struct nl_sock *sk, struct nl_msg *msg, uint32_t *seq, uint32_t *len)
{
	int err;

	forget();
	if (!send_auto(sk, msg, seq, len))
		return 0;
	err = nl_recvmsgs_default(sk);
	if (err < 0)
		return wrong("nl_recvmsgs_default: %s; saw %s", nl_geterror(err), seen());
	return 1;
}

/* exchange() of a TYPE message with TEXT as its payload. */
static int exchange_text(struct nl_sock *sk, int type, const char *text, uint32_t *seq, uint32_t *len)
{
	struct nl_msg *msg = new_msg(type, 0);

	if (nlmsg_append(msg, (void *)text, strlen(text), NLMSG_ALIGNTO) < 0)
		return wrong("nlmsg_append failed");
	return exchange(sk, msg, seq, len);
}

/* ECHO and classic payloads: what went on the wire comes back. */
static int same_payload(const struct nlmsghdr *reply, const char *text, uint32_t sent_len)
{
	uint32_t len = sent_len - NLMSG_HDRLEN;

	if (reply->nlmsg_len - NLMSG_HDRLEN != len)
		return wrong("a %u-byte payload came back for %u bytes sent",
			     reply->nlmsg_len - NLMSG_HDRLEN, len);
	if (strncmp(nlmsg_data(reply), text, len) != 0)
		return wrong("the payload came back changed: '%.*s'", (int)len, (char *)nlmsg_data(reply));
	return 1;
}

/* ECHO: the reply (type 0x10, same seq, same payload), then the ACK. */
static int echo(struct nl_sock *sk, const char *text)
{
	uint32_t seq, len;
	int err;

	if (!exchange_text(sk, NLECHO_CMD_ECHO, text, &seq, &len))
		return 0;
	if (nevents != 1 || events[0].kind != VALID)
		return wrong("wanted the echo reply, saw %s", seen());
	if (events[0].nlh->nlmsg_type != NLECHO_CMD_ECHO || events[0].nlh->nlmsg_seq != seq)
		return wrong("wanted type 0x10 seq %u, saw %s", seq, seen());
	if (!same_payload(events[0].nlh, text, len))
		return 0;
	err = nl_wait_for_ack(sk);
	if (err < 0 || acks != 1)
		return wrong("nl_wait_for_ack after the echo: %s, %d ACK(s); saw %s", nl_geterror(err), acks,
			     seen());
	return 1;
}

/* Classic type 0, with libnl's NLM_F_REQUEST | NLM_F_ACK: the payload comes
 * back in an NLMSG_DONE, which libnl hands to NL_CB_FINISH. */
static int classic(struct nl_sock *sk)
{
	const char *text = "Hello kernel, from libnl";
	uint32_t seq, len;

	if (!exchange_text(sk, NLECHO_CLASSIC, text, &seq, &len))
		return 0;
	if (nevents != 1 || events[0].kind != FINISH || events[0].nlh->nlmsg_seq != seq)
		return wrong("wanted one NLMSG_DONE with seq %u, saw %s", seq, seen());
	return same_payload(events[0].nlh, text, len);
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

/* Every message the module sends is a multiple of 8 bytes, and each u64
 * value is 8-byte aligned from the message's start (NLECHO_A_PAD). */
static int aligned(const struct nlmsghdr *nlh)
{
	struct nlattr *a;
	int rem;

	if (nlh->nlmsg_len % 8)
		return wrong("a %u-byte message, not a multiple of 8", nlh->nlmsg_len);
	nlmsg_for_each_attr(a, nlh, 0, rem) {
		if (is_u64(nla_type(a)) && ((char *)nla_data(a) - (char *)nlh) % 8)
			return wrong("u64 attribute %d at offset %td, not 8-byte aligned", nla_type(a),
				     (char *)nla_data(a) - (char *)nlh);
	}
	return 1;
}

static struct nla_policy policy[NLECHO_A_MAX + 1] = {
	[NLECHO_A_GROUP] = { .type = NLA_U32 },
	[NLECHO_A_STAT_RECEIVED] = { .type = NLA_U64 },
	[NLECHO_A_STAT_RECEIVED + 1] = { .type = NLA_U64 },
	[NLECHO_A_STAT_RECEIVED + 2] = { .type = NLA_U64 },
	[NLECHO_A_STAT_RECEIVED + 3] = { .type = NLA_U64 },
	[NLECHO_A_STAT_RECEIVED + 4] = { .type = NLA_U64 },
	[NLECHO_A_STAT_RECEIVED + 5] = { .type = NLA_U64 },
	[NLECHO_A_STAT_BYTES] = { .type = NLA_U64 },
	[NLECHO_A_LISTENERS] = { .type = NLA_U32 },
	[NLECHO_A_SENT] = { .type = NLA_U64 },
	[NLECHO_A_DROPPED] = { .type = NLA_U64 },
	[NLECHO_A_STAT_ZERO_COPY] = { .type = NLA_U64 },
};

static int parse(struct nlmsghdr *nlh, struct nlattr **tb)
{
	int err = nlmsg_parse(nlh, 0, tb, NLECHO_A_MAX, policy);

	if (err < 0)
		return wrong("nlmsg_parse of a type 0x%x message: %s", nlh->nlmsg_type, nl_geterror(err));
	return 1;
}

/* RESET_STATS with nl_send_sync(): answered with an ACK (error 0). */
static int reset_stats(struct nl_sock *sk)
{
	int err;

	forget();
	err = nl_send_sync(sk, new_msg(NLECHO_CMD_RESET_STATS, 0));
	if (err < 0 || acks != 1)
		return wrong("nl_send_sync: %s, %d ACK(s); saw %s", nl_geterror(err), acks, seen());
	return 1;
}

/* STATS right after RESET_STATS: received counts only the STATS itself. */
static int stats(struct nl_sock *sk)
{
	struct nlattr *tb[NLECHO_A_MAX + 1];
	uint32_t seq;
	int err, t;

	if (!exchange(sk, new_msg(NLECHO_CMD_STATS, 0), &seq, NULL))
		return 0;
	if (nevents != 1 || events[0].kind != VALID || events[0].nlh->nlmsg_type != NLECHO_CMD_STATS ||
	    events[0].nlh->nlmsg_seq != seq)
		return wrong("wanted a type 0x12 reply with seq %u, saw %s", seq, seen());
	if (!parse(events[0].nlh, tb) || !aligned(events[0].nlh))
		return 0;
	for (t = 0; t <= NLECHO_A_MAX; t++)
		if (is_stat(t) && !tb[t])
			return wrong("the reply lacks counter attribute %d", t);
	if (nla_get_u64(tb[NLECHO_A_STAT_RECEIVED]) != 1)
		return wrong("received is %llu after RESET_STATS and one STATS, wanted 1",
			     (unsigned long long)nla_get_u64(tb[NLECHO_A_STAT_RECEIVED]));
	err = nl_wait_for_ack(sk);
	if (err < 0 || acks != 1)
		return wrong("nl_wait_for_ack after STATS: %s, %d ACK(s)", nl_geterror(err), acks);
	return 1;
}

/* A request that fails, sent with nl_send_sync(): its errno, and the
 * extended ACK: the message, and the offset of the attribute or the type
 * of the missing one. The error carries the requester's port and, as the
 * socket did not set NETLINK_CAP_ACK, the whole request. */
static int fails(struct nl_sock *sk, struct nl_msg *msg, int nlerr, int errnum, const char *text,
		 long offs, long miss_type)
{
	uint32_t len = nlmsg_hdr(msg)->nlmsg_len;
	struct event *e;
	int err;

	forget();
	err = nl_send_sync(sk, msg);
	if (err != -nlerr)
		return wrong("nl_send_sync returned '%s', wanted '%s'; saw %s", nl_geterror(err),
			     nl_geterror(-nlerr), seen());
	if (nevents != 1 || events[0].kind != ERROR)
		return wrong("wanted one error, saw %s", seen());
	e = &events[0];
	if (e->error != -errnum)
		return wrong("error %d, wanted %d", e->error, -errnum);
	if (e->nlh->nlmsg_pid != nl_socket_get_local_port(sk))
		return wrong("the error's nlmsg_pid is %u, not the requester's port %u", e->nlh->nlmsg_pid,
			     nl_socket_get_local_port(sk));
	if ((e->nlh->nlmsg_flags & NLM_F_CAPPED) || e->echoed_len != len)
		return wrong("the error does not echo the whole %u-byte request (flags 0x%x, echoed "
			     "nlmsg_len %u)", len, e->nlh->nlmsg_flags, e->echoed_len);
	if (!(e->nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return wrong("no extended ACK (NLM_F_ACK_TLVS not set, flags 0x%x)", e->nlh->nlmsg_flags);
	if (!strstr(e->ext_msg, text))
		return wrong("extended ACK message '%s', wanted '%s'", e->ext_msg, text);
	if (e->offs != offs)
		return wrong("NLMSGERR_ATTR_OFFS %ld, wanted %ld", e->offs, offs);
	if (e->miss_type != miss_type)
		return wrong("NLMSGERR_ATTR_MISS_TYPE %ld, wanted %ld", e->miss_type, miss_type);
	printf("libnl: kernel says: %s (offset %ld, missing type %ld)\n", e->ext_msg, e->offs, e->miss_type);
	return 1;
}

static int bad_group(struct nl_sock *sk)
{
	struct nl_msg *msg = new_msg(NLECHO_CMD_GET_GROUP, 0);

	nla_put_u32(msg, NLECHO_A_GROUP, 999);
	/* The first attribute starts right after the 16-byte header. */
	return fails(sk, msg, NLE_RANGE, ERANGE, "no such group", NLMSG_HDRLEN, -1);
}

static int missing_data(struct nl_sock *sk)
{
	struct nl_msg *msg = new_msg(NLECHO_CMD_BROADCAST, 0);

	nla_put_u32(msg, NLECHO_A_GROUP, GROUP);
	return fails(sk, msg, NLE_INVAL, EINVAL, "missing attribute", -1, NLECHO_A_DATA);
}

/* A listener as libnl's users write one: no sequence checks (notifications
 * carry seq 0), a group joined, NL_CB_VALID for what arrives. */
static struct nl_sock *open_listener(int group)
{
	struct nl_sock *ln = nl_socket_alloc();
	int err;

	if (!ln) {
		printf("FAIL: %s: nl_socket_alloc() failed\n", LIB);
		exit(100);
	}
	nl_socket_disable_seq_check(ln);
	nl_socket_modify_cb(ln, NL_CB_VALID, NL_CB_CUSTOM, valid_cb, NULL);
	nl_socket_modify_cb(ln, NL_CB_FINISH, NL_CB_CUSTOM, finish_cb, NULL);
	err = nl_connect(ln, NETLINK_NLECHO);
	if (err >= 0)
		err = nl_socket_add_membership(ln, group);
	if (err < 0) {
		printf("FAIL: %s: listener on group %d: %s\n", LIB, group, nl_geterror(err));
		exit(100);
	}
	set_timeout(ln);
	return ln;
}

/* BROADCAST from one socket; the listener's NL_CB_VALID gets a NOTIFY
 * (type 0x14, seq 0, port 0, flags 0) with GROUP and DATA. */
static int notification(struct nl_sock *sk, struct nl_sock *ln)
{
	const char *text = "notification through libnl";
	struct nlattr *tb[NLECHO_A_MAX + 1];
	struct nl_msg *msg = new_msg(NLECHO_CMD_BROADCAST, 0);
	struct nlmsghdr *nlh;
	int err;

	forget();
	nla_put_u32(msg, NLECHO_A_GROUP, GROUP);
	nla_put(msg, NLECHO_A_DATA, strlen(text), text);
	err = nl_send_sync(sk, msg);
	if (err < 0 || acks != 1)
		return wrong("BROADCAST with nl_send_sync: %s, %d ACK(s); saw %s", nl_geterror(err), acks,
			     seen());
	forget();
	err = nl_recvmsgs_default(ln);
	if (err < 0)
		return wrong("the listener's nl_recvmsgs_default: %s; saw %s", nl_geterror(err), seen());
	if (nevents != 1 || events[0].kind != VALID)
		return wrong("the listener's NL_CB_VALID was not called; saw %s", seen());
	nlh = events[0].nlh;
	if (nlh->nlmsg_type != NLECHO_CMD_NOTIFY || nlh->nlmsg_seq || nlh->nlmsg_pid || nlh->nlmsg_flags)
		return wrong("wanted type 0x14, seq 0, port 0, flags 0; saw type 0x%x seq %u port %u flags 0x%x",
			     nlh->nlmsg_type, nlh->nlmsg_seq, nlh->nlmsg_pid, nlh->nlmsg_flags);
	if (!parse(nlh, tb))
		return 0;
	if (!tb[NLECHO_A_GROUP] || nla_get_u32(tb[NLECHO_A_GROUP]) != GROUP)
		return wrong("NOTIFY without GROUP %d", GROUP);
	if (!tb[NLECHO_A_DATA] || nla_len(tb[NLECHO_A_DATA]) != (int)strlen(text) ||
	    memcmp(nla_data(tb[NLECHO_A_DATA]), text, strlen(text)))
		return wrong("NOTIFY without DATA '%s'", text);
	return 1;
}

/* The GET_GROUP dump, while the listener is in GROUP after one broadcast:
 * NLM_F_MULTI messages for groups 1-32 in order, then NLMSG_DONE (int 0),
 * which libnl hands to NL_CB_FINISH. */
static int dump(struct nl_sock *sk)
{
	struct nlattr *tb[NLECHO_A_MAX + 1];
	uint32_t seq, port = nl_socket_get_local_port(sk);
	int i;

	if (!exchange(sk, new_msg(NLECHO_CMD_GET_GROUP, NLM_F_DUMP), &seq, NULL))
		return 0;
	if (nevents != NLECHO_GROUPS + 1 || events[NLECHO_GROUPS].kind != FINISH)
		return wrong("wanted %d messages then NLMSG_DONE, saw %s", NLECHO_GROUPS, seen());
	for (i = 0; i < NLECHO_GROUPS; i++) {
		struct nlmsghdr *nlh = events[i].nlh;
		uint32_t listeners;

		if (events[i].kind != VALID || nlh->nlmsg_type != NLECHO_CMD_GET_GROUP ||
		    !(nlh->nlmsg_flags & NLM_F_MULTI) || nlh->nlmsg_seq != seq || nlh->nlmsg_pid != port)
			return wrong("message %d: type 0x%x flags 0x%x seq %u port %u; wanted 0x15, "
				     "NLM_F_MULTI, seq %u, port %u", i, nlh->nlmsg_type, nlh->nlmsg_flags,
				     nlh->nlmsg_seq, nlh->nlmsg_pid, seq, port);
		if (!parse(nlh, tb) || !aligned(nlh))
			return 0;
		if (!tb[NLECHO_A_GROUP] || !tb[NLECHO_A_LISTENERS] || !tb[NLECHO_A_SENT] ||
		    !tb[NLECHO_A_DROPPED])
			return wrong("message %d lacks GROUP, LISTENERS, SENT or DROPPED", i);
		if (nla_get_u32(tb[NLECHO_A_GROUP]) != (uint32_t)i + 1)
			return wrong("message %d is for group %u", i, nla_get_u32(tb[NLECHO_A_GROUP]));
		listeners = nla_get_u32(tb[NLECHO_A_LISTENERS]);
		if (listeners != (uint32_t)(i + 1 == GROUP))
			return wrong("group %d has LISTENERS %u", i + 1, listeners);
		if (i + 1 == GROUP && nla_get_u64(tb[NLECHO_A_SENT]) < 1)
			return wrong("group %d has SENT 0 after a broadcast", GROUP);
	}
	if (events[NLECHO_GROUPS].nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(int) ||
	    *(int *)nlmsg_data(events[NLECHO_GROUPS].nlh) != 0 ||
	    events[NLECHO_GROUPS].nlh->nlmsg_seq != seq)
		return wrong("the NLMSG_DONE does not carry int 0 and seq %u", seq);
	return 1;
}

/* Three requests in one datagram (nl_complete_msg() numbers them, one
 * nl_sendto() sends them): ECHO, a GET_GROUP that fails, STATS. Each is
 * answered in order, the failure does not stop the rest, and libnl's
 * sequence check passes throughout. */
static int batch(struct nl_sock *sk)
{
	static const char text[] = "first of three";
	struct nl_msg *msgs[3] = {
		new_msg(NLECHO_CMD_ECHO, 0),
		new_msg(NLECHO_CMD_GET_GROUP, 0),
		new_msg(NLECHO_CMD_STATS, 0),
	};
	static const struct { enum kind kind; int type, error, req; } want[] = {
		{ VALID, NLECHO_CMD_ECHO, 0, 0 },   { ACK, NLMSG_ERROR, 0, 0 },
		{ ERROR, NLMSG_ERROR, -ERANGE, 1 }, { VALID, NLECHO_CMD_STATS, 0, 2 },
		{ ACK, NLMSG_ERROR, 0, 2 },
	};
	unsigned char buf[1024];
	uint32_t seq[3];
	size_t len = 0;
	int i, err, reads;

	forget();
	nlmsg_append(msgs[0], (void *)text, sizeof(text) - 1, NLMSG_ALIGNTO);
	nla_put_u32(msgs[1], NLECHO_A_GROUP, 999);
	for (i = 0; i < 3; i++) {
		struct nlmsghdr *nlh = nlmsg_hdr(msgs[i]);

		nl_complete_msg(sk, msgs[i]);
		seq[i] = nlh->nlmsg_seq;
		memcpy(buf + len, nlh, nlh->nlmsg_len);
		len += NLMSG_ALIGN(nlh->nlmsg_len);
		nlmsg_free(msgs[i]);
	}
	err = nl_sendto(sk, buf, len);
	if (err != (int)len)
		return wrong("nl_sendto of the %zu-byte datagram: %s", len, nl_geterror(err));
	on_error = NL_SKIP;
	/* One datagram per nl_recvmsgs_default(); a timeout adds nothing. */
	for (reads = 0, err = 0; nevents < 5 && reads < 10; reads++) {
		int before = nevents;

		err = nl_recvmsgs_default(sk);
		if (err < 0 || nevents == before)
			break;
	}
	on_error = NL_STOP;
	if (err < 0)
		return wrong("nl_recvmsgs_default: %s; saw %s", nl_geterror(err), seen());
	if (nevents != 5)
		return wrong("wanted echo, ACK, error, stats, ACK; saw %s", seen());
	for (i = 0; i < 5; i++)
		if (events[i].kind != want[i].kind || events[i].nlh->nlmsg_type != want[i].type ||
		    events[i].error != want[i].error || events[i].nlh->nlmsg_seq != seq[want[i].req])
			return wrong("answer %d is not as wanted; saw %s", i, seen());
	return 1;
}

int main(void)
{
	struct nl_sock *sk = open_socket(), *ln;

	report(LIB, "ECHO (0x10): the reply carries the payload, then the ACK", echo(sk, "hello from libnl"));
	report(LIB, "classic type 0 with auto-ACK: the payload comes back in NLMSG_DONE (NL_CB_FINISH)",
	       classic(sk));
	report(LIB, "no ACK follows that NLMSG_DONE: the next ECHO passes libnl's sequence check",
	       echo(sk, "after the classic request"));
	report(LIB, "RESET_STATS with nl_send_sync: acknowledged", reset_stats(sk));
	report(LIB, "STATS: eight u64 counters, 8-byte aligned, received 1 after the reset", stats(sk));
	report(LIB, "GET_GROUP 999: ERANGE, extended ACK 'no such group' pointing at GROUP", bad_group(sk));
	report(LIB, "BROADCAST without DATA: EINVAL, extended ACK 'missing attribute', missing type DATA",
	       missing_data(sk));
	ln = open_listener(GROUP);
	report(LIB, "BROADCAST to group 5: the listener's NL_CB_VALID gets NOTIFY with GROUP and DATA",
	       notification(sk, ln));
	report(LIB, "GET_GROUP dump: groups 1-32 with NLM_F_MULTI, group 5 listened to and sent to, "
		    "then NLMSG_DONE", dump(sk));
	nl_socket_free(ln);
	report(LIB, "no ACK follows the dump's NLMSG_DONE: the next ECHO passes libnl's sequence check",
	       echo(sk, "after the dump"));
	report(LIB, "batch of ECHO, a failing GET_GROUP and STATS in one datagram: answered in order",
	       batch(sk));
	nl_socket_free(sk);
	forget();
	return failures;
}
