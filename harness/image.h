/* The image store: base images built by images/build-image, and prepared
 * images (a qcow2 overlay of a base with the project's guest binaries,
 * injected by libguestfs in one appliance launch; for an initramfs image,
 * its initramfs with the binaries appended as a second cpio archive). */
#ifndef HARNESS_IMAGE_H
#define HARNESS_IMAGE_H

#include <stdbool.h>

#include "accel.h"
#include "util.h"

struct image {
	char *name;		/* recipe name: general */
	char *dir;		/* $STATE/images/general-<digest> */
	char *digest;
	char *suite;		/* stable, testing */
	char *kernel_version;
	char *base;		/* dir/base.qcow2; NULL for an initramfs image */
	char *kernel;		/* dir/vmlinuz */
	char *initrd;		/* dir/initrd.img */
	bool initramfs;		/* kind initramfs (tiny): no disk, the whole guest in the initrd */
};

/* $HARNESS_STATE_DIR or /var/lib/harness */
const char *state_dir(void);

/* Whether name can name an image: a name under the state directory's
 * images/, never a path (A-Z, a-z, 0-9, '.', '_', '-', not starting with
 * '.', at most 64 characters). */
bool image_name_valid(const char *name);
/* Find the current build of a recipe; the error says how to build it. */
int image_find(const char *name, struct image *img, struct herror *err);
void image_free(struct image *img);

/* Digest of a guest payload tree: sha256 of its opt/harness/MANIFEST.sha256. */
int payload_digest(const char *payload_root, char out[17], struct herror *err);

/* Path of the prepared image for this payload, creating it if needed (one
 * libguestfs launch, forced onto TCG unless accel is KVM; for an initramfs
 * image, a copy of its initrd with the payload appended, no launch). */
int image_prepare(const struct image *img, const char *payload_root, enum accel accel,
		  char **prepared, bool *created, struct herror *err);
/* Path of the prepared image if it exists, else NULL with err set:
 * prepared-<payload digest>.qcow2, or .initrd for an initramfs image. */
char *image_prepared_path(const struct image *img, const char *payload_root, struct herror *err);

#endif
