// SPDX-License-Identifier: GPL-2.0
/*
 * A netlink client written the way the classic tutorials write theirs:
 * struct msghdr and iovec by hand, nlmsg_type 0, nlmsg_flags 0, a reply
 * buffer of NLMSG_SPACE(MAX_PAYLOAD). It proves nlecho serves such clients
 * unchanged.
 *
 *   classic_client [-p protocol] [-t raw|dgram] [-b port|pid] [-s] [-m text] [-H secs]
 *
 * -b pid binds getpid() (the older tutorials), a number binds that fixed
 * port (the newer ones use 1). -s sends NLMSG_SPACE(MAX_PAYLOAD) bytes, as
 * the tutorial that strcpy()s into a 1024-byte payload does. -H only holds
 * the socket open for secs seconds (to test rmmod while a client is open).
 * Exits 0 when the reply is NLMSG_DONE carrying exactly what was sent.
 */
#include <linux/netlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_PAYLOAD 1024

int main(int argc, char *argv[])
{
	struct sockaddr_nl src_addr, dest_addr;
	struct nlmsghdr *nlh;
	struct iovec iov;
	struct msghdr msg;
	int protocol = 30, type = SOCK_RAW, space = 0, hold = -1, opt, sock_fd;
	unsigned int port = 1;
	const char *text = "Hello";
	size_t sent_len;

	while ((opt = getopt(argc, argv, "p:t:b:sm:H:")) != -1) {
		switch (opt) {
		case 'p': protocol = atoi(optarg); break;
		case 't': type = strcmp(optarg, "dgram") ? SOCK_RAW : SOCK_DGRAM; break;
		case 'b': port = strcmp(optarg, "pid") ? strtoul(optarg, NULL, 0) : (unsigned int)getpid(); break;
		case 's': space = 1; break;
		case 'm': text = optarg; break;
		case 'H': hold = atoi(optarg); break;
		default: fprintf(stderr, "usage: see the comment in classic_client.c\n"); return 2;
		}
	}
	if (strlen(text) + 1 > MAX_PAYLOAD) {
		fprintf(stderr, "message too long\n");
		return 2;
	}

	sock_fd = socket(PF_NETLINK, type, protocol);
	if (sock_fd < 0) {
		perror("socket");
		return 1;
	}
	if (hold >= 0) {
		printf("holding a socket on protocol %d for %d s\n", protocol, hold);
		fflush(stdout);
		sleep(hold);
		return 0;
	}

	memset(&src_addr, 0, sizeof(src_addr));
	src_addr.nl_family = AF_NETLINK;
	src_addr.nl_pid = port;
	if (bind(sock_fd, (struct sockaddr *)&src_addr, sizeof(src_addr)) < 0) {
		perror("bind");
		return 1;
	}

	memset(&dest_addr, 0, sizeof(dest_addr));
	dest_addr.nl_family = AF_NETLINK;
	dest_addr.nl_pid = 0; /* the kernel */
	dest_addr.nl_groups = 0; /* unicast */

	nlh = malloc(NLMSG_SPACE(MAX_PAYLOAD));
	memset(nlh, 0, NLMSG_SPACE(MAX_PAYLOAD));
	sent_len = space ? NLMSG_SPACE(MAX_PAYLOAD) : NLMSG_LENGTH(strlen(text) + 1);
	nlh->nlmsg_len = sent_len;
	nlh->nlmsg_pid = port;
	nlh->nlmsg_flags = 0;
	strcpy(NLMSG_DATA(nlh), text);

	iov.iov_base = (void *)nlh;
	iov.iov_len = nlh->nlmsg_len;
	memset(&msg, 0, sizeof(msg));
	msg.msg_name = (void *)&dest_addr;
	msg.msg_namelen = sizeof(dest_addr);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;

	printf("Sending message to kernel\n");
	if (sendmsg(sock_fd, &msg, 0) < 0) {
		perror("sendmsg");
		return 1;
	}
	printf("Waiting for message from kernel\n");

	memset(nlh, 0, NLMSG_SPACE(MAX_PAYLOAD));
	iov.iov_len = NLMSG_SPACE(MAX_PAYLOAD);
	if (recvmsg(sock_fd, &msg, 0) < 0) {
		perror("recvmsg");
		return 1;
	}
	printf("Received message payload: %s\n", (char *)NLMSG_DATA(nlh));
	close(sock_fd);

	if (nlh->nlmsg_type != NLMSG_DONE) {
		fprintf(stderr, "reply type %u, want NLMSG_DONE\n", nlh->nlmsg_type);
		return 1;
	}
	if (nlh->nlmsg_len != sent_len) {
		fprintf(stderr, "reply length %u, want %zu\n", nlh->nlmsg_len, sent_len);
		return 1;
	}
	if (strcmp(NLMSG_DATA(nlh), text) != 0) {
		fprintf(stderr, "reply payload differs from what was sent\n");
		return 1;
	}
	return 0;
}
