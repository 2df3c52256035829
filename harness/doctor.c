/* harness doctor: what this host can do, and how to fix what is missing. */
#include "doctor.h"

#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "accel.h"
#include "hostenv.h"
#include "image.h"
#include "virt.h"

static int problems;

static void line(const char *status, const char *what, const char *detail)
{
	printf("%-5s %-12s %s\n", status, what, detail);
	if (strcmp(status, "FAIL") == 0)
		problems++;
}

static bool have(const char *prog)
{
	cleanup_free char *cmd = xasprintf("command -v %s >/dev/null 2>&1", prog);
	return system(cmd) == 0;
}

/* What a local libvirt daemon needs before it can answer: the checks that
 * ci/libvirtd's failures come down to, each with its fix. Only for a local
 * URI; a remote daemon is the remote host's business. */
static void check_libvirt_daemon(void)
{
	static const char *const qemu_users[] = { "libvirt-qemu", "qemu" };
	const char *uri = virt_uri();
	const char *user = NULL;
	struct stat st;
	char buf[512];

	if (strncmp(uri, "qemu:///", 8) != 0)
		return;
	if (have("libvirtd") || have("virtqemud"))
		line("ok", "daemon", have("libvirtd") ? "libvirtd installed" : "virtqemud installed");
	else
		line("FAIL", "daemon", "no libvirtd or virtqemud: run 'make deps' (libvirt-daemon, libvirt-daemon-driver-qemu)");
	if (!have("virtlogd"))
		line("FAIL", "daemon", "no virtlogd: run 'make deps' (libvirt-daemon)");
	if (stat("/etc/libvirt/qemu.conf", &st) == 0)
		line("ok", "daemon", "/etc/libvirt/qemu.conf present");
	else
		line("FAIL", "daemon", "/etc/libvirt/qemu.conf missing: install libvirt-daemon-system ('make deps' does)");
	for (size_t i = 0; i < sizeof(qemu_users) / sizeof(qemu_users[0]) && !user; i++)
		if (getpwnam(qemu_users[i]))
			user = qemu_users[i];
	if (user) {
		snprintf(buf, sizeof(buf), "QEMU user '%s' exists", user);
		line("ok", "daemon", buf);
	} else {
		line("FAIL", "daemon", "no QEMU user 'libvirt-qemu': the QEMU driver will not start; "
		     "install libvirt-daemon-system ('make deps' does)");
	}
	if (stat("/run/libvirt/libvirt-sock", &st) == 0 && S_ISSOCK(st.st_mode))
		line("ok", "daemon", "socket /run/libvirt/libvirt-sock present");
	else
		line("FAIL", "daemon", "no socket /run/libvirt/libvirt-sock: no daemon is running; "
		     "start one with 'ci/libvirtd start' (or 'systemctl start libvirtd')");
}

int doctor(const char *payload_root)
{
	struct accel_facts f;
	struct accel_choice c;
	struct herror err = { 0 };
	struct hostenv h;
	char buf[512];
	virConnectPtr conn;

	problems = 0;
	accel_probe(&f);
	if (accel_decide(&f, &c) < 0) {
		line("FAIL", "accelerator", c.reason);
	} else {
		snprintf(buf, sizeof(buf), "%s: %s%s", accel_name(c.accel), c.reason,
			 c.accel == ACCEL_TCG ? " (results measure emulation; libguestfs is forced onto TCG)" : "");
		line(c.accel == ACCEL_KVM ? "ok" : "warn", "accelerator", buf);
	}
	/* The network experiment's vhost=on: without the device those runs fail alone. */
	if (access("/dev/vhost-net", F_OK) == 0)
		line("ok", "vhost-net", "/dev/vhost-net present: network runs with vhost on can run");
	else
		line("warn", "vhost-net", "no /dev/vhost-net (module vhost_net): network runs with vhost on fail, "
		     "the others run");
	conn = virt_connect(&err);
	hostenv_probe(&h, conn);
	if (h.kernel[0]) {
		snprintf(buf, sizeof(buf), "host kernel %s", h.kernel);
		line("ok", "host", buf);
	}
	check_libvirt_daemon();
	if (conn == NULL) {
		line("FAIL", "libvirt", err.msg);
	} else {
		snprintf(buf, sizeof(buf), "%s answers: libvirt %s, QEMU %s", virt_uri(), h.libvirt_version,
			 h.qemu_version);
		line("ok", "libvirt", buf);
		virConnectClose(conn);
	}
	if (h.libguestfs_version[0]) {
		snprintf(buf, sizeof(buf), "libguestfs %s (one appliance launch per image preparation)",
			 h.libguestfs_version);
		line("ok", "libguestfs", buf);
	} else {
		line("FAIL", "libguestfs", "libguestfs is not usable; run 'make deps'");
	}
	static const char *const names[] = { "general", "security" };
	for (size_t i = 0; i < 2; i++) {
		struct image img;
		error_clear(&err);
		if (image_find(names[i], &img, &err) < 0) {
			line("FAIL", "image", err.msg);
		} else {
			char *prep = image_prepared_path(&img, payload_root, &err);
			snprintf(buf, sizeof(buf), "%s: Debian %s, kernel %s, digest %s, %s", img.name, img.suite,
				 img.kernel_version, img.digest,
				 prep ? "prepared with this build's guest binaries" : "not prepared for this build ('make images')");
			line(prep ? "ok" : "FAIL", "image", buf);
			free(prep);
		}
		image_free(&img);
	}
	static const struct { const char *prog, *why; } tools[] = {
		{ "mmdebstrap", "builds the guest images" },
		{ "gnuplot", "draws the report's plots" },
		{ "groff", "lays out the PDF report" },
		{ "ps2pdf", "writes the PDF report" },
		{ "qemu-system-x86_64", "runs the guests" },
	};
	for (size_t i = 0; i < sizeof(tools) / sizeof(tools[0]); i++) {
		snprintf(buf, sizeof(buf), "%s (%s)%s", tools[i].prog, tools[i].why,
			 have(tools[i].prog) ? "" : ": missing, run 'make deps'");
		line(have(tools[i].prog) ? "ok" : "FAIL", "tool", buf);
	}
	printf("%s\n", problems ? "some checks failed: see the lines marked FAIL" : "this host can run the harness");
	return problems ? 1 : 0;
}
