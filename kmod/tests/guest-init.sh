#!/bin/sh
# In-guest part of the memwatch integration test: becomes /init.sh of the
# initramfs that kmod/tests/guest-memwatch boots. Every result line starts
# with "TAP: " so that the host can pick it out of the console; the host
# numbers them.
#
# The guest boots with slub_debug=FZP page_poison=1 (KFENCE is on in both
# Debian kernels): every slab object is sanity-checked, red-zoned and
# poisoned, every freed page poisoned. The script runs in two phases in one
# boot, so that a slab report is attributed:
#   1. without memwatch: process and memory churn, then every slab cache is
#      validated and the kernel log checked; a report here is the kernel's;
#   2. with memwatch: the module's tests, unload under load, reload, then
#      the caches are validated again and the log since phase 1 checked;
#   3. the negative control: slub_selftest.ko writes one byte past a kmalloc
#      object, and the same check must now see a report. The host ignores
#      the console after the line that announces it.
# With /memwatch/without-module present, phase 2 is left out.
cd /memwatch || exit 1
res() { if [ "$1" -eq 0 ]; then echo "TAP: ok - $2"; else echo "TAP: not ok - $2"; fi; }
uptime_s() { cut -d' ' -f1 /proc/uptime; }

# What the kernel prints for memory corruption and misuse: SLUB's reports
# ("BUG kmalloc-64 (Tainted: ...): Poison overwritten", no colon after BUG),
# page poisoning's ("pagealloc: memory corruption"), KASAN, KFENCE, UBSAN,
# the generic oops, warning and list-corruption reports, and the module's own
# complaints.
bad='BUG [^ :]+ \(|Freepointer corrupt|Redzone overwritten|Poison overwritten|Padding overwritten|Object already free|Invalid object pointer|Wrong object count|Objects remaining|pagealloc: |KASAN|KFENCE: |UBSAN|BUG:|WARNING:|Oops|general protection|Call Trace|refcount_t|corruption|memwatch.*(leak|error)'

# Does the kernel really check slabs? The check below proves nothing otherwise.
slub_flags_on() {
	f=/sys/kernel/slab/kmalloc-64
	[ "$(cat $f/sanity_checks)" = 1 ] && [ "$(cat $f/red_zone)" = 1 ] && [ "$(cat $f/poison)" = 1 ]
}

# Validate every slab cache (aliases are symlinks: each cache once). SLUB
# walks every slab of every cache and reports corrupt objects to the log.
validate_slabs() {
	n=0
	for c in /sys/kernel/slab/*; do
		[ -L "$c" ] && continue
		echo 1 >"$c/validate" 2>/dev/null && n=$((n + 1))
	done
	echo "TAP: # validated $n slab caches at $(uptime_s) s"
	[ "$n" -gt 0 ]
}

# log_clean PHASE: no report in the kernel log since the last call (the
# ring is read and cleared); the offending lines go to the console.
log_clean() {
	dmesg -c >"/tmp/dmesg-$1"
	if grep -E "$bad" "/tmp/dmesg-$1" >"/tmp/bad-$1"; then
		sed -n '1,30s/^/TAP: # /p' "/tmp/bad-$1"
		return 1
	fi
	return 0
}

# Phase 1: no memwatch.
grep -q 'slub_debug=' /proc/cmdline && slub_flags_on
res $? "slub_debug is in effect (kmalloc-64: sanity_checks, red_zone, poison)"
pids=
i=0
while [ $i -lt 200 ]; do
	sleep 600 &
	pids="$pids $!"
	i=$((i + 1))
done
head -c 64m /dev/zero >/tmp/churn && rm /tmp/churn
i=0
while [ $i -lt 50 ]; do
	sh -c 'x=$(seq 1 2000); echo "$x" | tail -n1 >/dev/null'
	i=$((i + 1))
done
# shellcheck disable=SC2086
kill -9 $pids 2>/dev/null
wait
validate_slabs
res $? "every slab cache validated without memwatch"
log_clean without
res $? "no slab, KASAN, KFENCE or oops report without memwatch (the kernel alone)"
echo "TAP: # phase without memwatch done at $(uptime_s) s of guest uptime"

# Phase 2: memwatch.
with_module() {
	insmod ./memwatch.ko interval_ms=10
	res $? "memwatch.ko loads into $(uname -r)"
	res "$([ -c /dev/memwatch ]; echo $?)" "/dev/memwatch is a character device"

	./memwatch-test 2>&1 | sed 's/^/TAP: /'
	echo "TAP: # memwatch-test done at $(uptime_s) s of guest uptime"

	# Unload under load: entries still registered, two of them allocating.
	pids=$(./memwatch-test leave 200)
	res $? "200 sleeping and 2 allocating processes left registered"
	sleep 1
	rmmod memwatch
	res $? "rmmod with 202 entries registered and sampled"
	# shellcheck disable=SC2086
	kill -9 $pids 2>/dev/null
	sleep 1

	# Load and unload again: nothing left behind by the first instance.
	insmod ./memwatch.ko interval_ms=1 && rmmod memwatch
	res $? "module reloads and unloads again"
	insmod ./memwatch.ko interval_ms=0 2>/dev/null
	res "$([ $? -ne 0 ]; echo $?)" "interval_ms=0 is refused at load"

	validate_slabs
	res $? "every slab cache validated after memwatch"
	log_clean with
	res $? "no slab, KASAN, KFENCE or oops report with memwatch"
	grep -q 'reached soft limit' /tmp/dmesg-with
	res $? "the soft-limit warning is in the kernel log"
	grep -q 'reached hard limit .*killed' /tmp/dmesg-with
	res $? "the hard-limit kill is in the kernel log"
	grep memwatch /tmp/dmesg-with | head -n 20 | sed 's/^/# /'
}
[ -e /memwatch/without-module ] || with_module

# Phase 3: the check must fail on a real report.
echo "TAP: # deliberate slab overflow from here on: the reports below are expected"
insmod ./slub_selftest.ko
validate_slabs >/dev/null
log_clean selftest >/dev/null
res "$([ $? -ne 0 ]; echo $?)" "the check sees a deliberate one-byte overflow of a kmalloc object"
echo "TAP: # it saw: $(head -n1 /tmp/bad-selftest)"
echo "TAP: # guest script done at $(uptime_s) s of guest uptime"
echo "TAP-END"
exit 0
