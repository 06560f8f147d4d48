# shellcheck shell=sh
# SPDX-License-Identifier: GPL-2.0
#
# tests/sweep/guest.sh: the guest half of the sweep (tests/sweep/run).
# Runs in the lab as /lab/script.sh (busybox sh).  For each module named in
# /lab/files/sweep-list, in order:
#
#   mode "instr": insmod kedr_sample.ko target_name=<module>, modprobe the
#                 module (its dependencies load first, uninstrumented),
#                 exercise it if that is cheap, unload it and whatever it
#                 pulled in, rmmod kedr_sample.  If the module does not load,
#                 try it once more without kedr_sample.
#   mode "plain": the same without kedr_sample (to tell whether a problem
#                 is the module's own).
#
# It prints machine-readable lines for the host, all starting with "@@ ":
#
#   @@ BEGIN <m>                  before anything is done with <m>
#   @@ LOAD <m> ok|fail <why>     the (instrumented) modprobe
#   @@ PLAIN <m> ok|fail <why>    the uninstrumented retry after a failure
#   @@ EXERCISE <m> ok|fail <what>
#   @@ K <m> <kernel line>        a "[sample]" line of the kernel log
#   @@ D <m> <kernel line>        another kernel line, when the load failed
#   @@ PROBLEM <m> <kernel line>  a kernel problem (tests/vm/kernel-problems)
#   @@ STUCK <m> <modules>        modules that would not unload
#   @@ SKIP <m> <why>             not tried (already loaded)
#   @@ END <m>
#   @@ STOP <why>                 the rest of the list cannot be done here
#
# A <m> with BEGIN and no END is the module that was being handled when the
# guest died.

mode=$(cat /lab/files/sweep-mode)
grep -Ev '^(#|$)' /etc/lab-kernel-problems >/tmp/problems

# Only the names of loaded modules, one a line.
loaded() {
	cut -d' ' -f1 /proc/modules | sort
}

# Module parameters for the sweep: what keeps a self-test short, or gives
# a driver something to work on.
params() {
	case $1 in
	test_bpf) echo "test_suite=test_bpf test_range=0,59" ;;
	tcrypt) echo "mode=6" ;;	# the sha256 test vectors
	brd) echo "rd_nr=1 rd_size=4096" ;;
	null_blk) echo "nr_devices=1 gb=1" ;;
	esac
}

# same_data FILE DEV SIZE: write FILE to DEV, read SIZE bytes back, compare.
same_data() {
	dd if="$1" of="$2" bs=4096 conv=fsync 2>/dev/null &&
		dd if="$2" of=/tmp/back bs=4096 count=$(($3 / 4096)) 2>/dev/null &&
		cmp -s "$1" /tmp/back
}

# fs_workload TYPE DEV: mount, write a file and a directory, remount, check.
fs_workload() {
	mkdir -p /mnt/sweep &&
		mount -t "$1" "$2" /mnt/sweep &&
		mkdir -p /mnt/sweep/dir/sub &&
		cp /tmp/data "/mnt/sweep/dir/sub/A longer name for a file.bin" &&
		umount /mnt/sweep &&
		mount -t "$1" "$2" /mnt/sweep &&
		cmp -s /tmp/data "/mnt/sweep/dir/sub/A longer name for a file.bin" &&
		umount /mnt/sweep
}

# loop_image MKFS...: attach a fresh 8 MiB image to a loop device, make a
# file system on it with MKFS, print the device.
loop_image() {
	dd if=/dev/zero of=/tmp/img bs=1M count=8 2>/dev/null &&
		modprobe loop &&
		losetup -f /tmp/img &&
		dev=$(losetup -a | sed -n 's,^\(/dev/loop[0-9]*\):.*/tmp/img.*,\1,p' | head -n 1) &&
		[ -n "$dev" ] && "$@" "$dev" >/dev/null 2>&1 && echo "$dev"
}

loop_detach() {
	for d in $(losetup -a | sed -n 's,^\(/dev/loop[0-9]*\):.*,\1,p'); do
		losetup -d "$d"
	done
	rm -f /tmp/img
}

# exercise M: make the module do some work, when that is cheap; prints
# what it did and returns non-zero when that failed.
exercise() {
	case $1 in
	brd)
		echo "write and read back 1 MiB on /dev/ram0"
		same_data /tmp/data /dev/ram0 1048576 ;;
	loop)
		echo "write and read back 1 MiB through a loop device"
		dd if=/dev/zero of=/tmp/img bs=1M count=2 2>/dev/null &&
			losetup -f /tmp/img &&
			dev=$(losetup -a | sed -n 's,^\(/dev/loop[0-9]*\):.*,\1,p' | head -n 1) &&
			same_data /tmp/data "$dev" 1048576
		st=$?
		loop_detach
		return $st ;;
	null_blk)
		echo "read 1 MiB from /dev/nullb0"
		dd if=/dev/nullb0 of=/dev/null bs=4096 count=256 2>/dev/null ;;
	zram)
		echo "write and read back 1 MiB on /dev/zram0"
		echo 8M >/sys/block/zram0/disksize &&
			same_data /tmp/data /dev/zram0 1048576 ;;
	fat | vfat | msdos)
		t=$1
		[ "$t" = fat ] && t=vfat
		echo "mkdosfs, mount -t $t, write, remount, compare"
		dev=$(loop_image mkdosfs) && fs_workload "$t" "$dev"
		st=$?
		loop_detach
		return $st ;;
	ext4 | mbcache)
		echo "mke2fs, mount -t ext4, write, remount, compare"
		dev=$(loop_image mke2fs) && fs_workload ext4 "$dev"
		st=$?
		loop_detach
		return $st ;;
	configfs | binfmt_misc | nfsd)
		echo "mount -t $1, list it, unmount"
		mkdir -p /mnt/sweep && mount -t "$1" "$1" /mnt/sweep &&
			ls /mnt/sweep >/dev/null && umount /mnt/sweep ;;
	overlay)
		echo "overlay of two tmpfs directories: write, read back"
		mkdir -p /tmp/ov/lower /tmp/ov/upper /tmp/ov/work /mnt/sweep &&
			echo lower >/tmp/ov/lower/f &&
			mount -t overlay overlay -o lowerdir=/tmp/ov/lower,upperdir=/tmp/ov/upper,workdir=/tmp/ov/work /mnt/sweep &&
			cp /tmp/data /mnt/sweep/g && cat /mnt/sweep/f >/dev/null &&
			cmp -s /tmp/data /tmp/ov/upper/g && umount /mnt/sweep
		st=$?
		rm -rf /tmp/ov
		return $st ;;
	*)
		# Crypto templates: an instance is made (and its self-test run,
		# when testmgr has one) the first time someone asks for it; tcrypt
		# asks, then refuses to stay loaded (EAGAIN) by design.
		set -- $(tmpl_alg "$1")
		[ $# -eq 2 ] || return 0
		echo "modprobe tcrypt alg='$1' type=$2 (instance and its self-test)"
		modprobe tcrypt alg="$1" type="$2" mask="$2" >/dev/null 2>&1
		# tcrypt refuses to stay loaded (EAGAIN) when all went well.
		! dmesg | grep -q 'one or more tests failed' ;;
	esac
}

# tmpl_alg M: an algorithm that instantiates crypto template M, and its
# type (include/linux/crypto.h: 3 AEAD, 5 skcipher, 14 hash).  Not pcrypt:
# its instances do not come up in the lab, with or without kedr_sample.
tmpl_alg() {
	case $1 in
	ecb) echo "ecb(aes) 5" ;;
	ctr) echo "ctr(aes) 5" ;;
	xts) echo "xts(aes) 5" ;;
	lrw) echo "lrw(aes) 5" ;;
	cts) echo "cts(cbc(aes)) 5" ;;
	ofb) echo "ofb(aes) 5" ;;
	cfb) echo "cfb(aes) 5" ;;
	pcbc) echo "pcbc(aes) 5" ;;
	keywrap) echo "kw(aes) 5" ;;
	essiv) echo "essiv(cbc(aes),sha256) 5" ;;
	adiantum) echo "adiantum(xchacha12,aes) 5" ;;
	gcm) echo "gcm(aes) 3" ;;
	ccm) echo "ccm(aes) 3" ;;
	authenc) echo "authenc(hmac(sha256),cbc(aes)) 3" ;;
	authencesn) echo "authencesn(hmac(sha256),cbc(aes)) 3" ;;
	seqiv) echo "seqiv(rfc4106(gcm(aes))) 3" ;;
	echainiv) echo "echainiv(authenc(hmac(sha256),cbc(aes))) 3" ;;
	chacha20poly1305) echo "rfc7539(chacha20,poly1305) 3" ;;
	cmac) echo "cmac(aes) 14" ;;
	xcbc) echo "xcbc(aes) 14" ;;
	vmac) echo "vmac64(aes) 14" ;;
	cryptd) echo "cryptd(sha256-generic) 14" ;;
	esac
}

# report M STATUS-WORD: print the kernel log collected for M.
report() {
	grep -F '[sample]' /tmp/klog | sed "s/^/@@ K $1 /"
	grep -E -f /tmp/problems /tmp/klog | sed "s/^/@@ PROBLEM $1 /"
	if [ "$2" = fail ]; then
		grep -vF '[sample]' /tmp/klog | tail -n 4 | sed "s/^/@@ D $1 /"
	fi
}

# unload_new BEFORE: rmmod every module loaded since BEFORE (a list of
# names), dependents first; print what is left.
unload_new() {
	for pass in 1 2 3 4 5 6; do
		new=$(loaded | grep -vxF -f "$1")
		[ -n "$new" ] || return 0
		for n in $new; do
			rmmod "$n" 2>/dev/null
		done
	done
	loaded | grep -vxF -f "$1" | tr '\n' ' '
}

# one_try M INSTRUMENT: modprobe M (under kedr_sample if INSTRUMENT is 1),
# exercise it, unload everything.  Sets load_ok, load_why, stuck.
one_try() {
	m=$1
	name=$(echo "$m" | tr - _)
	dmesg -c >/dev/null
	if [ "$2" = 1 ]; then
		if ! out=$(insmod /lab/kedr_sample.ko target_name="$name" 2>&1); then
			echo "@@ STOP insmod kedr_sample.ko failed: $out"
			exit 0
		fi
	fi
	# (A line that is no module name: busybox grep -v -f with an empty
	# pattern file would print nothing.)
	{ echo '-'; loaded; } >/tmp/before
	# shellcheck disable=SC2046 # params are words
	if out=$(modprobe "$m" $(params "$m") 2>&1); then
		load_ok=ok
		load_why=
	else
		load_ok=fail
		load_why=$(echo "$out" | tail -n 1 | sed 's/^modprobe: //')
	fi
	echo "@@ $3 $m $load_ok $load_why"
	if [ $load_ok = ok ]; then
		what=$(exercise "$m")
		st=$?
		if [ -n "$what" ]; then
			if [ $st -eq 0 ]; then
				echo "@@ EXERCISE $m ok $what"
			else
				echo "@@ EXERCISE $m fail $what"
			fi
		fi
	fi
	stuck=$(unload_new /tmp/before)
	if [ "$2" = 1 ] && ! rmmod kedr_sample 2>/dev/null; then
		stuck="$stuck kedr_sample"
	fi
	dmesg -c >/tmp/klog
	report "$m" $load_ok
	if [ -n "$stuck" ]; then
		echo "@@ STUCK $m $stuck"
	fi
}

dd if=/dev/urandom of=/tmp/data bs=1024 count=1024 2>/dev/null
instrument=0
[ "$mode" = instr ] && instrument=1
while read -r m; do
	[ -n "$m" ] || continue
	name=$(echo "$m" | tr - _)
	echo "@@ BEGIN $m"
	if loaded | grep -qx "$name"; then
		echo "@@ SKIP $m already loaded"
		echo "@@ END $m"
		continue
	fi
	one_try "$m" $instrument LOAD
	if [ $load_ok = fail ] && [ $instrument = 1 ] && [ -z "$stuck" ]; then
		one_try "$m" 0 PLAIN
	fi
	echo "@@ END $m"
	if [ -n "$stuck" ]; then
		echo "@@ STOP $stuck would not unload"
		exit 0
	fi
done </lab/files/sweep-list
echo "@@ DONE"
