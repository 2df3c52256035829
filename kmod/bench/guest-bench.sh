#!/bin/sh
# In-guest part of kmod/bench/run (becomes /init.sh): overshoot and time to
# kill of memwatch's hard limit beside cgroup v2 memory.max, at several
# allocation rates, and the sampler's CPU cost, at two sampling intervals.
cd /memwatch || exit 1
echo	# the console line may start with firmware escapes: start a fresh one
rates="16 64 0"
for interval in 100 10; do
	insmod ./memwatch.ko interval_ms=$interval || exit 1
	echo "BENCH interval $interval"
	for rate in $rates; do
		./memwatch-bench overshoot memwatch "$rate" 64 5
		./memwatch-bench overshoot cgroup "$rate" 64 5
	done
	./memwatch-bench cpucost 1000 5
	rmmod memwatch || exit 1
done
dmesg | grep -E 'WARNING:|BUG:|Oops' && exit 1
exit 0
