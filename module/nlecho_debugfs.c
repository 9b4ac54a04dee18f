// SPDX-License-Identifier: GPL-2.0
/*
 * Why this file is C: a debugfs file must pin its module while it is open.
 * DEFINE_SHOW_ATTRIBUTE() sets .owner = THIS_MODULE, so an open stats file
 * holds a module reference and rmmod waits for it to be closed. The kernel
 * crate's debugfs files of this release set no owner: closing one that was
 * open across rmmod would reach into the freed module. The text itself is
 * written in Rust, by nlecho_stats_show() and nlecho_namespaces_show() in
 * ffi.rs.
 */
#include <linux/debugfs.h>
#include <linux/seq_file.h>

int nlecho_stats_show(struct seq_file *m, void *v);
DEFINE_SHOW_ATTRIBUTE(nlecho_stats);
int nlecho_namespaces_show(struct seq_file *m, void *v);
DEFINE_SHOW_ATTRIBUTE(nlecho_namespaces);

struct dentry *nlecho_debugfs_create(void);
void nlecho_debugfs_remove(struct dentry *dir);

/* debugfs failures are not errors: the result may be an error pointer. */
struct dentry *nlecho_debugfs_create(void)
{
	struct dentry *dir = debugfs_create_dir("nlecho", NULL);

	debugfs_create_file("stats", 0444, dir, NULL, &nlecho_stats_fops);
	debugfs_create_file("namespaces", 0444, dir, NULL, &nlecho_namespaces_fops);
	return dir;
}

void nlecho_debugfs_remove(struct dentry *dir)
{
	debugfs_remove(dir);
}
