#include "standing.h"

#include <string.h>

#include "image.h"

const struct guest_def standing_guests[STANDING_COUNT] = {
	{ .name = "vm1", .image = "general", .vcpus = 1, .memory_mib = 1024, .disk_bus = "virtio",
	  .disk_cache = "none", .disk_io = "default", .nic_model = "none" },
	{ .name = "vm2", .image = "security", .vcpus = 1, .memory_mib = 1024, .disk_bus = "virtio",
	  .disk_cache = "none", .disk_io = "default", .nic_model = "none" },
};

const struct guest_def *standing_def(const char *name)
{
	for (size_t i = 0; i < STANDING_COUNT; i++)
		if (strcmp(standing_guests[i].name, name) == 0)
			return &standing_guests[i];
	return NULL;
}

char *standing_dir(void)
{
	return xasprintf("%s/vms", state_dir());
}

char *standing_console_log(const char *name)
{
	return xasprintf("%s/vms/%s.console.log", state_dir(), name);
}
