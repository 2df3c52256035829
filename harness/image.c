#include "image.h"

#include <archive.h>
#include <archive_entry.h>
#include <cjson/cJSON.h>
#include <dirent.h>
#include <fcntl.h>
#include <errno.h>
#include <glib.h>
#include <guestfs.h>
#include <stdio.h>
#include <string.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>

const char *state_dir(void)
{
	const char *s = getenv("HARNESS_STATE_DIR");

	return s && *s ? s : "/var/lib/harness";
}

static char *json_str(cJSON *j, const char *key)
{
	cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);

	return cJSON_IsString(v) ? xstrdup(v->valuestring) : NULL;
}

bool image_name_valid(const char *name)
{
	size_t n = strlen(name);

	return n > 0 && n <= 64 && name[0] != '.' &&
	       strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

int image_find(const char *name, struct image *img, struct herror *err)
{
	cleanup_free char *link = NULL;
	cleanup_free char *meta = NULL;
	cleanup_free char *text = NULL;
	char *real;
	cJSON *j;

	memset(img, 0, sizeof(*img));
	if (!image_name_valid(name))
		return error_setx(err, EINVAL, "'%.100s' is not an image name (A-Z, a-z, 0-9, '.', '_', '-'; no path)",
				  name);
	link = xasprintf("%s/images/%s", state_dir(), name);
	real = realpath(link, NULL);
	if (real == NULL)
		return error_setx(err, ENOENT, "image '%s' is not built (no %s); build it with 'make images'", name, link);
	img->dir = real;
	meta = xasprintf("%s/image.json", real);
	text = read_text(meta, NULL, err);
	if (text == NULL)
		return -err->status;
	j = cJSON_Parse(text);
	if (j == NULL)
		return error_setx(err, EINVAL, "'%s' is not valid JSON", meta);
	img->name = xstrdup(name);
	cleanup_free char *kind = json_str(j, "kind");
	img->initramfs = kind && strcmp(kind, "initramfs") == 0;
	img->digest = json_str(j, "digest");
	img->suite = json_str(j, "suite");
	img->kernel_version = json_str(j, "kernel");
	cJSON_Delete(j);
	img->base = img->initramfs ? NULL : xasprintf("%s/base.qcow2", real);
	img->kernel = xasprintf("%s/vmlinuz", real);
	img->initrd = xasprintf("%s/initrd.img", real);
	if ((img->base && access(img->base, R_OK) < 0) || access(img->kernel, R_OK) < 0 ||
	    (img->initramfs && access(img->initrd, R_OK) < 0))
		return error_setx(err, ENOENT, "image '%s' in '%s' is incomplete; rebuild it with 'make images'", name, real);
	return 0;
}

void image_free(struct image *img)
{
	free(img->name); free(img->dir); free(img->digest); free(img->suite);
	free(img->kernel_version); free(img->base); free(img->kernel); free(img->initrd);
	memset(img, 0, sizeof(*img));
}

int payload_digest(const char *payload_root, char out[17], struct herror *err)
{
	cleanup_free char *manifest = xasprintf("%s/opt/harness/MANIFEST.sha256", payload_root);
	size_t len;
	cleanup_free char *text = read_text(manifest, &len, err);
	gchar *sum;

	if (text == NULL)
		return error_setx(err, ENOENT, "no guest payload manifest '%s'; build it with 'make'", manifest);
	sum = g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)text, len);
	snprintf(out, 17, "%.16s", sum);
	g_free(sum);
	return 0;
}

char *image_prepared_path(const struct image *img, const char *payload_root, struct herror *err)
{
	char digest[17];
	char *path;

	if (payload_digest(payload_root, digest, err) < 0)
		return NULL;
	path = xasprintf("%s/prepared-%s.%s", img->dir, digest, img->initramfs ? "initrd" : "qcow2");
	if (access(path, R_OK) < 0) {
		error_setx(err, ENOENT, "image '%s' has no prepared copy with this build's guest binaries (%s); "
			 "run 'make images'", img->name, path);
		free(path);
		return NULL;
	}
	return path;
}

static int gfs_fail(guestfs_h *g, struct herror *err, const char *what, const char *img)
{
	return error_setx(err, EIO, "libguestfs: cannot %s for image '%s': %s", what, img,
			guestfs_last_error(g) ? guestfs_last_error(g) : "unknown error");
}

static bool is_prepared_name(const char *name, const char **tail)
{
	size_t i;

	if (strncmp(name, "prepared-", 9) != 0)
		return false;
	for (i = 9; i < 9 + 16; i++)
		if (!g_ascii_isxdigit(name[i]))
			return false;
	/* .qcow2, or .initrd for an initramfs image */
	if (strncmp(name + i, ".qcow2", 6) != 0 && strncmp(name + i, ".initrd", 7) != 0)
		return false;
	*tail = name + i + (name[i + 1] == 'q' ? 6 : 7);
	return true;
}

struct prepared_copy {
	char *path;
	time_t mtime;
};

static int newest_first(const void *a, const void *b)
{
	const struct prepared_copy *x = a, *y = b;

	return (x->mtime < y->mtime) - (x->mtime > y->mtime);
}

/* Prepared copies of other builds. Clones and worktrees of the tree share
 * the image store and each has its own payload, so the newest few stay (the
 * running guests of an older one keep theirs open anyway); a temporary copy
 * stays while the process that writes it lives. */
#define PREPARED_KEEP 4
static void prune_prepared(const char *dir, const char *keep)
{
	cleanup_dir DIR *d = opendir(dir);
	struct prepared_copy *copies = NULL;
	size_t n = 0, i, kept = 0;
	struct dirent *e;

	if (d == NULL)
		return;
	while ((e = readdir(d))) {
		const char *tail;
		struct stat st;

		if (!is_prepared_name(e->d_name, &tail))
			continue;
		cleanup_free char *p = xasprintf("%s/%s", dir, e->d_name);
		if (strncmp(tail, ".tmp.", 5) == 0) {
			long pid = strtol(tail + 5, NULL, 10);

			if (pid > 0 && kill((pid_t)pid, 0) < 0 && errno == ESRCH)
				unlink(p);
			continue;
		}
		if (*tail != '\0' || strcmp(p, keep) == 0 || stat(p, &st) < 0)
			continue;
		copies = g_renew(struct prepared_copy, copies, n + 1);
		copies[n++] = (struct prepared_copy){ .path = steal_pointer(&p), .mtime = st.st_mtime };
	}
	qsort(copies, n, sizeof(*copies), newest_first);
	for (i = 0; i < n; i++) {
		if (++kept >= PREPARED_KEEP)
			unlink(copies[i].path);
		free(copies[i].path);
	}
	g_free(copies);
}

/* One prepare at a time per image (make images in two clones at once):
 * the lock's fd, or -1 when it cannot be taken (then no lock: the rename
 * below is still atomic). */
static int lock_image_dir(const struct image *img)
{
	cleanup_free char *path = xasprintf("%s/.prepare.lock", img->dir);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);

	if (fd < 0)
		return -1;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK) {
		hinfo("image %s: waiting for another 'harness image prepare' of it", img->name);
		if (flock(fd, LOCK_EX) < 0) {
			close(fd);
			return -1;
		}
	}
	return fd;
}

/* Append the tree src (payload_root/opt/harness) to the archive a as
 * opt/harness/..., owned by root. */
static int cpio_add_tree(struct archive *a, const char *payload_root, struct herror *err)
{
	struct archive *disk = archive_read_disk_new();
	struct archive_entry *e;
	int r = 0, st;

	archive_read_disk_set_standard_lookup(disk);
	if (chdir(payload_root) < 0) {
		archive_read_free(disk);
		return error_set(err, errno, "cannot enter '%s'", payload_root);
	}
	if (archive_read_disk_open(disk, "opt") != ARCHIVE_OK) {
		r = error_setx(err, EIO, "cannot read '%s/opt': %s", payload_root, archive_error_string(disk));
		goto out;
	}
	for (;;) {
		e = archive_entry_new();
		st = archive_read_next_header2(disk, e);
		if (st == ARCHIVE_EOF) {
			archive_entry_free(e);
			break;
		}
		if (st != ARCHIVE_OK) {
			r = error_setx(err, EIO, "cannot read the payload: %s", archive_error_string(disk));
			archive_entry_free(e);
			break;
		}
		archive_read_disk_descend(disk);
		archive_entry_set_uid(e, 0);
		archive_entry_set_gid(e, 0);
		archive_entry_set_uname(e, "root");
		archive_entry_set_gname(e, "root");
		if (archive_write_header(a, e) != ARCHIVE_OK) {
			r = error_setx(err, EIO, "cannot write '%s' into the initramfs: %s", archive_entry_pathname(e),
				       archive_error_string(a));
			archive_entry_free(e);
			break;
		}
		if (archive_entry_filetype(e) == AE_IFREG && archive_entry_size(e) > 0) {
			cleanup_close int fd = open(archive_entry_sourcepath(e), O_RDONLY | O_CLOEXEC);
			char buf[65536];
			ssize_t n;

			if (fd < 0) {
				r = error_set(err, errno, "cannot open '%s/%s'", payload_root, archive_entry_sourcepath(e));
				archive_entry_free(e);
				break;
			}
			while ((n = read(fd, buf, sizeof(buf))) > 0)
				if (archive_write_data(a, buf, (size_t)n) != n) {
					n = -1;
					break;
				}
			if (n < 0) {
				r = error_setx(err, EIO, "cannot copy '%s' into the initramfs", archive_entry_pathname(e));
				archive_entry_free(e);
				break;
			}
		}
		archive_entry_free(e);
	}
out:
	archive_read_close(disk);
	archive_read_free(disk);
	return r;
}

/* An initramfs image's prepared copy: its initrd with the payload appended
 * as a second (uncompressed newc) cpio archive, which the kernel unpacks
 * over the first. Written to tmp; the cwd is restored. */
static int prepare_initramfs(const struct image *img, const char *payload_root, const char *tmp, struct herror *err)
{
	cleanup_close int cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cleanup_free char *base = NULL;
	size_t len = 0;
	struct archive *a;
	int r;

	if (read_file(img->initrd, 1u << 30, &base, &len, err) < 0 || write_file(tmp, base, len, 0644, err) < 0)
		return -err->status;
	a = archive_write_new();
	if (archive_write_set_format_cpio_newc(a) != ARCHIVE_OK || archive_write_add_filter_none(a) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK) {
		archive_write_free(a);
		return error_setx(err, EIO, "libarchive: no newc cpio writer");
	}
	/* Appended: opened for append, libarchive writes from the end. */
	{
		int fd = open(tmp, O_WRONLY | O_APPEND | O_CLOEXEC);
		if (fd < 0 || archive_write_open_fd(a, fd) != ARCHIVE_OK) {
			r = fd < 0 ? error_set(err, errno, "cannot open '%s'", tmp) :
				     error_setx(err, EIO, "cannot write '%s': %s", tmp, archive_error_string(a));
			if (fd >= 0)
				close(fd);
			archive_write_free(a);
			return r;
		}
		r = cpio_add_tree(a, payload_root, err);
		if (archive_write_close(a) != ARCHIVE_OK && r == 0)
			r = error_setx(err, EIO, "cannot finish '%s': %s", tmp, archive_error_string(a));
		archive_write_free(a);
		close(fd);
	}
	if (cwd >= 0 && fchdir(cwd) < 0 && r == 0)
		r = error_set(err, errno, "cannot return to the working directory");
	return r;
}

int image_prepare(const struct image *img, const char *payload_root, enum accel accel,
		  char **prepared, bool *created, struct herror *err)
{
	char digest[17];
	cleanup_free char *path = NULL;
	cleanup_free char *tmp = NULL;
	cleanup_free char *src = xasprintf("%s/opt/harness", payload_root);
	cleanup_close int lock = -1;
	guestfs_h *g;
	int r = -EIO;

	*created = false;
	if (payload_digest(payload_root, digest, err) < 0)
		return -err->status;
	path = xasprintf("%s/prepared-%s.%s", img->dir, digest, img->initramfs ? "initrd" : "qcow2");
	if (access(path, R_OK) == 0) {
		*prepared = xstrdup(path);
		return 0;
	}
	lock = lock_image_dir(img);
	if (access(path, R_OK) == 0) {
		*prepared = xstrdup(path);
		return 0;
	}
	if (img->initramfs) {
		tmp = xasprintf("%s.tmp.%d", path, (int)getpid());
		hinfo("image %s: appending the guest binaries to its initramfs", img->name);
		if (prepare_initramfs(img, payload_root, tmp, err) < 0 || rename(tmp, path) < 0) {
			if (err->status == 0)
				error_set(err, errno, "cannot rename '%s'", tmp);
			unlink(tmp);
			return -err->status;
		}
		*prepared = xstrdup(path);
		*created = true;
		prune_prepared(img->dir, path);
		return 0;
	}
	/* Without working KVM the appliance hangs like any stock kernel. */
	if (accel == ACCEL_TCG)
		setenv("LIBGUESTFS_BACKEND_SETTINGS", "force_tcg", 1);
	if (getenv("LIBGUESTFS_BACKEND") == NULL)
		setenv("LIBGUESTFS_BACKEND", "direct", 1);
	tmp = xasprintf("%s.tmp.%d", path, (int)getpid());
	g = guestfs_create();
	if (g == NULL)
		return error_setx(err, EIO, "cannot create a libguestfs handle");
	guestfs_set_error_handler(g, NULL, NULL);
	if (guestfs_disk_create(g, tmp, "qcow2", -1,
				GUESTFS_DISK_CREATE_BACKINGFILE, img->base,
				GUESTFS_DISK_CREATE_BACKINGFORMAT, "qcow2", -1) < 0) {
		gfs_fail(g, err, "create the overlay", img->name);
		goto out;
	}
	if (guestfs_add_drive_opts(g, tmp, GUESTFS_ADD_DRIVE_OPTS_FORMAT, "qcow2", -1) < 0) {
		gfs_fail(g, err, "add the drive", img->name);
		goto out;
	}
	hinfo("image %s: injecting the guest binaries (one libguestfs appliance launch)", img->name);
	if (guestfs_launch(g) < 0) {
		gfs_fail(g, err, "launch the appliance", img->name);
		goto out;
	}
	if (guestfs_mount(g, "/dev/sda", "/") < 0) {
		gfs_fail(g, err, "mount the root file system", img->name);
		goto out;
	}
	if (guestfs_rm_rf(g, "/opt/harness") < 0 || guestfs_mkdir_p(g, "/opt") < 0 ||
	    guestfs_copy_in(g, src, "/opt") < 0) {
		gfs_fail(g, err, "copy the guest binaries in", img->name);
		goto out;
	}
	if (guestfs_chown(g, 0, 0, "/opt/harness") < 0 || guestfs_umount_all(g) < 0 ||
	    guestfs_shutdown(g) < 0) {
		gfs_fail(g, err, "finish writing", img->name);
		goto out;
	}
	if (rename(tmp, path) < 0) {
		error_set(err, errno, "cannot rename '%s'", tmp);
		goto out;
	}
	*prepared = xstrdup(path);
	*created = true;
	r = 0;
	prune_prepared(img->dir, path);
out:
	guestfs_close(g);
	if (r < 0)
		unlink(tmp);
	return r;
}
