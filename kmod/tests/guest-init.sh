#!/bin/sh
# In-guest part of the memwatch integration test: becomes /init.sh of the
# initramfs that kmod/tests/guest-memwatch boots. Every result line starts
# with "TAP: " so that the host can pick it out of the console; the host
# numbers them.
cd /memwatch || exit 1
res() { if [ "$1" -eq 0 ]; then echo "TAP: ok - $2"; else echo "TAP: not ok - $2"; fi; }

insmod ./memwatch.ko interval_ms=10
res $? "memwatch.ko loads into $(uname -r)"
res "$([ -c /dev/memwatch ]; echo $?)" "/dev/memwatch is a character device"

./memwatch-test 2>&1 | sed 's/^/TAP: /'
echo "TAP: # memwatch-test done at $(cut -d' ' -f1 /proc/uptime) s of guest uptime"

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

dmesg >/tmp/dmesg
grep -q 'reached soft limit' /tmp/dmesg
res $? "the soft-limit warning is in the kernel log"
grep -q 'reached hard limit .*killed' /tmp/dmesg
res $? "the hard-limit kill is in the kernel log"
if grep -E 'WARNING:|BUG:|Oops|general protection|Call Trace|UBSAN|KASAN|refcount_t|corruption|memwatch.*(leak|error)' /tmp/dmesg; then
	res 1 "guest kernel log has no WARNING/BUG/Oops"
else
	res 0 "guest kernel log has no WARNING/BUG/Oops"
fi
grep memwatch /tmp/dmesg | head -n 20 | sed 's/^/# /'
echo "TAP: # guest script done at $(cut -d' ' -f1 /proc/uptime) s of guest uptime"
echo "TAP-END"
exit 0
