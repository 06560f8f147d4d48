#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/40-filesystems.t: real Debian modules as kedr_sample's target, doing
# real work, with oracles nobody here wrote:
#
#   vfat   target; a FAT file system on a loop device gets a tree of files
#   fat    target; the same workload (fat does the file and cluster work)
#   ext4   target; the same workload on an ext4 image made by mkfs.ext4
#   loop   target; the vfat workload on top of it (vfat uninstrumented)
#   crc32c_intel  target; the ext4 workload, ext4 and jbd2 checksumming
#          their metadata with it: its crc_pcl jumps into its own body
#          through a retpoline thunk, which is no exit, so its entries and
#          exits must balance
#
# The workload copies a tree made on the host (sizes around block and
# cluster boundaries, subdirectories, long and mixed-case names, a
# directory of 48 entries), renames and deletes a file, unmounts, mounts
# again and checks every file against sha256 sums computed on the host.
# The trace is checked against the module's own symbol table (readelf on
# the host): every recorded pc lies in a function of the target, at an
# offset inside it, and names the target; the function count in the log is
# the symbol table's.  With ext4, two of its tracepoints (static keys in
# its instrumented code) are on during the workload and fire once per inode
# made and freed.  Five lab runs, about two minutes; in each, the target
# is instrumented and the workload run twice: with fast=1, then with
# fast=0 (the simple instrumenter).

# shellcheck source=tests/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"

# mkfs.ext4 makes the ext4 image on the host: install e2fsprogs if needed.
if ! PATH=$PATH:/sbin:/usr/sbin command -v mkfs.ext4 >/dev/null; then
	sudo=
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	$sudo apt-get install -y -q e2fsprogs >&2 ||
		{ $sudo apt-get update -q >&2 && $sudo apt-get install -y -q e2fsprogs >&2; }
fi
mkfs_ext4=$(PATH=$PATH:/sbin:/usr/sbin command -v mkfs.ext4)
ok "mkfs.ext4 is on the host (e2fsprogs)" test -n "$mkfs_ext4"

moddir=$(lab_corpus)
files=$TAP_TMP/files
mkdir -p "$files"

# ---- the tree, its sums (the oracle), the images ------------------------
tree=$files/tree
mkdir -p "$tree/sub/deeper/deepest" "$tree/Many entries" "$tree/Mixed Case Directory"
n=0
for size in 0 1 100 511 512 513 4095 4096 4097 8191 8193 65536 131073 1048583; do
	n=$((n + 1))
	head -c "$size" /dev/urandom >"$tree/sub/file-$n-$size.bin"
done
head -c 300000 /dev/urandom >"$tree/A rather long file name, with spaces and Mixed Case.txt"
head -c 5000 /dev/urandom >"$tree/sub/deeper/deepest/another_quite_long_name_0123456789.data"
head -c 70000 /dev/urandom >"$tree/Mixed Case Directory/UPPER.TXT"
for i in $(seq 1 48); do
	head -c $((i * 37)) /dev/urandom >"$tree/Many entries/entry number $i with a long name"
done
head -c 20000 /dev/urandom >"$tree/to be renamed.bin"
head -c 20000 /dev/urandom >"$tree/to be deleted.bin"
# What the tree looks like after the guest's rename and delete:
cp -a "$tree" "$TAP_TMP/final"
mv "$TAP_TMP/final/to be renamed.bin" "$TAP_TMP/final/sub/renamed with a new long name.bin"
rm "$TAP_TMP/final/to be deleted.bin"
(cd "$TAP_TMP/final" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) \
	>"$files/sums"
nfiles=$(wc -l <"$files/sums")
like "$nfiles" '^6[0-9]$' "the host made a tree of $nfiles files and their sha256 sums"
echo "$nfiles" >"$files/nfiles"
# Inodes the workload creates: every directory and file of the tree.
echo $(($(find "$tree" -type d | wc -l) + $(find "$tree" -type f | wc -l))) >"$files/ninodes"

truncate -s 32M "$TAP_TMP/ext4.img"
"$mkfs_ext4" -q -F -L kedrtest -E lazy_itable_init=0,lazy_journal_init=0 "$TAP_TMP/ext4.img" >&2
ok "mkfs.ext4 made a 32 MiB ext4 image" test -s "$TAP_TMP/ext4.img"
gzip -1 -c "$TAP_TMP/ext4.img" >"$files/ext4.img.gz"

# funcs MODULE: "name size" of every function (STT_FUNC with a size) of the
# Debian module, from its own symbol table; not the __pfx_ padding (6.12),
# which is no function.
funcs() {
	readelf -sW "$(find "$moddir" -name "$1.ko")" |
		awk '$4 == "FUNC" && $3 > 0 && $8 !~ /^__pfx_/ { print $8, $3, $7 ":" $2 }'
}
for m in vfat fat ext4 loop crc32c-intel; do
	# the files are named as the kernel names the module: crc32c_intel
	funcs $m | awk '{ print $1, $2 }' | sort -u >"$files/funcs-${m//-/_}"
	# kedr_sample folds aliases (init_module, cleanup_module): count places.
	funcs $m | awk '{ print $3 }' | sort -u | wc -l >"$files/nfuncs-${m//-/_}"
done
ok "vfat.ko has $(cat "$files/nfuncs-vfat") functions (readelf)" test "$(cat "$files/nfuncs-vfat")" -ge 20
# What mount calls in vfat: vfat_mount in 6.1; vfat_get_tree once vfat has
# the fs_context API (6.12).
vfat_mount=vfat_mount
grep -q '^vfat_get_tree ' "$files/funcs-vfat" && vfat_mount=vfat_get_tree

# ---- the guest's part, shared by the four runs -------------------------
cat >"$files/common.sh" <<'EOF'
# FSTYPE, DEV and TARGET are set by the caller.
F=/lab/files

# workload DIR: copy the tree in, rename, delete, remount, check the sums.
workload() {
	mkdir -p /mnt/t &&
		ok "mount -t $FSTYPE $DEV" mount -t "$FSTYPE" "$DEV" /mnt/t || return 1
	ok "copy the tree in" cp -R $F/tree /mnt/t/
	ok "rename a file into a subdirectory" \
		mv "/mnt/t/tree/to be renamed.bin" "/mnt/t/tree/sub/renamed with a new long name.bin"
	ok "delete a file" rm "/mnt/t/tree/to be deleted.bin"
	sync
	ok "unmount" umount /mnt/t
	ok "mount again" mount -t "$FSTYPE" "$DEV" /mnt/t || return 1
	out=$(cd /mnt/t/tree && sha256sum -c $F/sums 2>&1)
	ok "every file has the sha256 sum the host computed" test $? -eq 0 || diag "$out"
	is "$(find /mnt/t/tree -type f | wc -l)" "$(cat $F/nfiles)" "and there are no other files"
	ok "the deleted file is gone" test ! -e "/mnt/t/tree/to be deleted.bin"
	ok "unmount" umount /mnt/t
}

# check_log: the [sample] lines against the symbol table.
# (only the lines since new_round: a run makes two rounds)
check_log() {
	log=$(dmesg | tail -n +$((${ROUND_START:-0} + 1)) | grep -F '[sample]')
	total=$(echo "$log" | sed -n 's/.*\[sample\] \([0-9]*\) functions, .*/\1/p')
	is "$total" "$(cat $F/nfuncs-$TARGET)" "kedr_sample found every function of $TARGET ($total)"
	line=$(echo "$log" | grep 'instrumented [0-9]* functions, left alone')
	done=$(echo "$line" | sed -n 's/.*instrumented \([0-9]*\) functions, left alone \([0-9]*\);.*/\1/p')
	left=$(echo "$line" | sed -n 's/.*instrumented \([0-9]*\) functions, left alone \([0-9]*\);.*/\2/p')
	is "$((done + left))" "$total" "instrumented ($done) + left alone ($left) = all"
	ok "most of them instrumented ($done of $total, at least 90%)" \
		test $((done * 100)) -ge $((total * 90))
	echo "$log" | grep 'left alone:' |
		sed 's/.*left alone: \([^ ]*\) (\([0-9]*\) bytes).*/\1 \2/' | sort -u >/tmp/left
	bad=$(grep -vxF -f $F/funcs-$TARGET /tmp/left)
	is "$bad" "" "every function left alone is one of $TARGET's, with its size"
	echo "$log" | grep 'left alone:' | sed 's/.*bytes): //; s/ (at +0x[0-9a-f]*)$//' |
		sort | uniq -c | while read -r l; do diag "left alone: $l"; done
}

# check_trace FUNCTION...: every stored event names TARGET and a function
# of its symbol table (with the right size, at an offset inside it); each
# FUNCTION was entered.
check_trace() {
	o=/sys/kernel/debug/kedr_sample/output
	head -n 1 $o >/tmp/totals
	like "$(cat /tmp/totals)" '^\[Totals\] reads: [0-9]+; writes: [0-9]+; locked updates: [0-9]+\.$' \
		"the output starts with [Totals]"
	sum=$(sed 's/[^0-9]\{1,\}/ /g' /tmp/totals | awk '{ print $1 + $2 + $3 }')
	ok "$TARGET read or wrote memory ($sum events)" test "$sum" -gt 0
	awk -v mod="[$TARGET]" -v list=$F/funcs-$TARGET '
		BEGIN { while ((getline l < list) > 0) { split(l, a, " "); ok[a[1] " " a[2]] = 1; name[a[1]] = 1 } }
		/ (read|write|locked update) at 0x/ {
			acc++
			s = $0
			sub(/.* at 0x[0-9a-f]+ \(/, "", s)
			sub(/\): addr=0x[0-9a-f]+, size=[0-9]+$/, "", s)
			split(s, p, /[+\/ ]/)	# func, 0xOFF, 0xSIZE, [module]
			if (p[4] != mod || !((p[1] " " (p[3] + 0)) in ok) || p[2] + 0 >= p[3] + 0) {
				if (bad++ < 5) print "bad: " $0
			}
			next
		}
		/ (entry|exit): addr=0x[0-9a-f]+ \("/ {
			ee++
			s = $0
			sub(/.*\("/, "", s)
			sub(/"\)$/, "", s)
			if (!(s in name)) { if (bad++ < 5) print "bad: " $0 }
			if ($2 == "entry:") entered[s] = 1
			next
		}
		/^\[/ { next }	# [Totals], [Totals while recording], [Store]
		{ if (bad++ < 5) print "unexpected: " $0 }
		END {
			for (f in entered) print "entered " f
			print "accesses " acc + 0 " entries/exits " ee + 0 " bad " bad + 0
		}' $o >/tmp/check
	grep '^bad\|^unexpected' /tmp/check | while read -r l; do diag "$l"; done
	counts=$(tail -n 1 /tmp/check)
	like "$counts" '^accesses [1-9][0-9]* entries/exits [1-9][0-9]* bad 0$' \
		"every stored event is in a function of $TARGET, inside it, and names [$TARGET]"
	acc=$(echo "$counts" | cut -d' ' -f2)
	ok "no more accesses stored ($acc) than counted ($sum)" test "$acc" -le "$sum"
	for f in "$@"; do
		ok "$f was entered" grep -qx "entered $f" /tmp/check
	done
}

# finish: unload the target, check the log and the trace.
finish_target() {
	ok "rmmod $TARGET" rmmod "$TARGET"
	check_log
	check_trace "$@"
	ok "rmmod kedr_sample" rmmod kedr_sample
}

# new_round FAST: the next round, with fast=FAST
new_round() {
	FAST=$1
	ROUND_START=$(dmesg | wc -l)
	diag "---- fast=$FAST"
}

# vfat_image: a 32 MiB FAT image on a loop device (busybox mkdosfs).
vfat_image() {
	dd if=/dev/zero of=/lab/fat.img bs=1M count=32 2>/dev/null
	ok "mkdosfs" mkdosfs -n KEDRTEST /lab/fat.img >/dev/null
	ok "modprobe loop" modprobe loop
	ok "losetup" losetup /dev/loop0 /lab/fat.img
	DEV=/dev/loop0
}
EOF

mods="vfat loop nls_cp437 nls_ascii"
NR="num_records=100000 fast=\$FAST"	# FAST: the guest's, from new_round

# ---- vfat ------------------------------------------------------------------
guest=$(lab_script vfat.sh <<EOF
. /lab/tap.sh
. /lab/files/common.sh
TARGET=vfat FSTYPE=vfat
for f in 1 0; do
new_round \$f
ok "insmod kedr_sample.ko target_name=vfat fast=\$FAST" insmod /lab/kedr_sample.ko target_name=vfat $NR || exit 0
ok "modprobe vfat (and fat)" modprobe vfat
vfat_image
workload
losetup -d /dev/loop0
finish_target $vfat_mount vfat_fill_super vfat_lookup vfat_mkdir vfat_create vfat_rename2 vfat_unlink
done
EOF
)
lab_tap --timeout 300 --modules "$mods" --file "$files/." "$guest"

# ---- fat -------------------------------------------------------------------
guest=$(lab_script fat.sh <<EOF
. /lab/tap.sh
. /lab/files/common.sh
TARGET=fat FSTYPE=vfat
for f in 1 0; do
new_round \$f
ok "insmod kedr_sample.ko target_name=fat fast=\$FAST" insmod /lab/kedr_sample.ko target_name=fat $NR || exit 0
ok "modprobe vfat (fat first)" modprobe vfat
vfat_image
workload
losetup -d /dev/loop0
ok "rmmod vfat" rmmod vfat
finish_target fat_fill_super fat_add_entries
done
EOF
)
lab_tap --timeout 300 --modules "$mods" --file "$files/." "$guest"

# ---- ext4 ------------------------------------------------------------------
guest=$(lab_script ext4.sh <<EOF
. /lab/tap.sh
. /lab/files/common.sh
TARGET=ext4 FSTYPE=ext4
for f in 1 0; do
new_round \$f
ok "insmod kedr_sample.ko target_name=ext4 fast=\$FAST" insmod /lab/kedr_sample.ko target_name=ext4 $NR || exit 0
ok "modprobe ext4 (jbd2, mbcache, crc16, crc32c first)" modprobe ext4
zcat /lab/files/ext4.img.gz >/lab/ext4.img
ok "modprobe loop" modprobe loop
ok "losetup" losetup /dev/loop0 /lab/ext4.img
DEV=/dev/loop0
# ext4's tracepoints are static keys in instrumented code: turn two on.
T=/sys/kernel/debug/tracing
ok "turn on tracepoints ext4_allocate_inode and ext4_free_inode" sh -c \
	"echo >\$T/trace && echo 1 >\$T/events/ext4/ext4_allocate_inode/enable && echo 1 >\$T/events/ext4/ext4_free_inode/enable"
workload
echo 0 >\$T/events/ext4/ext4_allocate_inode/enable
echo 0 >\$T/events/ext4/ext4_free_inode/enable
is "\$(grep -c ' ext4_allocate_inode: ' \$T/trace)" "\$(cat /lab/files/ninodes)" \
	"tracepoint ext4_allocate_inode fired once per directory and file of the tree"
is "\$(grep -c ' ext4_free_inode: ' \$T/trace)" 1 "tracepoint ext4_free_inode fired once (the deleted file)"
losetup -d /dev/loop0
finish_target ext4_get_tree ext4_fill_super
done
EOF
)
lab_tap --timeout 300 --modules "ext4 crc32c_generic loop" --file "$files/." "$guest"

# ---- loop ------------------------------------------------------------------
guest=$(lab_script loop.sh <<EOF
. /lab/tap.sh
. /lab/files/common.sh
TARGET=loop FSTYPE=vfat
for f in 1 0; do
new_round \$f
ok "insmod kedr_sample.ko target_name=loop fast=\$FAST" insmod /lab/kedr_sample.ko target_name=loop $NR || exit 0
ok "modprobe vfat" modprobe vfat
vfat_image
workload
ok "losetup -d" losetup -d /dev/loop0
finish_target loop_configure lo_ioctl loop_queue_rq
done
EOF
)
lab_tap --timeout 300 --modules "$mods" --file "$files/." "$guest"

# ---- crc32c_intel ------------------------------------------------------------
guest=$(lab_script crc32c.sh <<EOF
. /lab/tap.sh
. /lab/files/common.sh
TARGET=crc32c_intel FSTYPE=ext4
for f in 1 0; do
new_round \$f
ok "insmod kedr_sample.ko target_name=crc32c_intel fast=\$FAST" insmod /lab/kedr_sample.ko \
	target_name=crc32c_intel num_records=1000000 fast=\$FAST || exit 0
ok "modprobe crc32c_intel" modprobe crc32c_intel
ok "modprobe ext4" modprobe ext4
like "\$(grep -A 2 '^name *: crc32c\$' /proc/crypto | grep driver)" 'crc32c-intel' \
	"the kernel's crc32c is crc32c-intel's"
zcat /lab/files/ext4.img.gz >/lab/ext4.img
ok "modprobe loop" modprobe loop
ok "losetup" losetup /dev/loop0 /lab/ext4.img
DEV=/dev/loop0
workload
losetup -d /dev/loop0
o=/sys/kernel/debug/kedr_sample/output
ok "rmmod crc32c_intel" rmmod crc32c_intel
going=\$(dmesg | grep 'target "crc32c_intel" is going' | tail -n 1)
diag "\$going"
n=\$(echo "\$going" | sed -n 's/.* \([0-9]*\) entries, \([0-9]*\) exits.*/\1 \2/p')
like "\$n" '^[1-9][0-9]* ' "crc32c_intel's functions were entered (entries, exits: \$n)"
is "\${n#* }" "\${n% *}" "as many exits as entries were counted"
stored=\$(echo "\$going" | sed -n 's/.*; \([0-9]*\) events stored.*/\1/p')
ok "every event was stored (\$stored)" test "\$stored" -lt 1000000
in=\$(grep -c 'entry: .*("crc_pcl")' \$o)
out=\$(grep -c 'exit: .*("crc_pcl")' \$o)
ok "crc_pcl was entered (\$in times)" test "\$in" -gt 0
is "\$out" "\$in" "crc_pcl: as many exits as entries, its jumps into its own body are none"
check_log
check_trace crc_pcl crc32c_pcl_intel_update
ok "rmmod kedr_sample" rmmod kedr_sample
done
EOF
)
lab_tap --timeout 300 --modules "ext4 crc32c_intel loop" --file "$files/." "$guest"

done_testing
