#!/usr/bin/perl
# SPDX-License-Identifier: GPL-2.0
#
# tests/insn-classes-check.pl: compare what kedr_sample recorded for
# kedr_insn_target with tests/insn-classes.events (see tests/20-insn-classes.t).
#
#   insn-classes-check.pl KO EVENTS GUEST-OUTPUT SP
#
# KO: kedr_insn_target.ko (its symbol table gives each label's function and
# offset); EVENTS: the hand-written expectations; GUEST-OUTPUT: what the
# guest printed ("KIT ..." lines: addresses; "OUT ..." lines: the output
# file of kedr_sample); SP: the process_sp_accesses the guest used.
# Prints one line per result, "ok<TAB>DESC" or "not ok<TAB>DESC" (with a
# third field, the reason, for a TODO test), and "#<TAB>..." lines
# explaining a failure.

use strict;
use warnings;
no warnings 'portable';	# 64-bit hex numbers

my ($ko, $events, $guest, $sp) = @ARGV;
die "usage: $0 KO EVENTS GUEST-OUTPUT SP\n" unless defined $sp;

# The C functions whose events are not written by hand: the module's init
# and exit, and the open() that DEFINE_DEBUGFS_ATTRIBUTE generates. Only
# outside a run of kit_run.
my %c_glue = map { $_ => 1 } qw(kit_init kit_exit kit_run_fops_open);

# result(TODO, OK, DESC, DIAG...): TODO is undef, or why the test is
# expected to fail
sub result {
	my ($todo, $ok, $desc, @diag) = @_;

	print(($ok ? "ok" : "not ok"), "\t$desc", defined $todo ? "\t$todo" : "", "\n");
	print "#\t$_\n" for ($ok ? () : @diag);
	return $ok;
}

# ---- the oracle's side: labels and functions from the .ko -----------------
my (%func_size, %func_start, %label);
open(my $od, '-|', 'objdump', '-t', $ko) or die "objdump: $!";
while (<$od>) {
	next unless /^([0-9a-f]{16}) (.{7}) (\S+)\t([0-9a-f]{16}) (\S+)$/;
	my ($val, $flags, $sec, $size, $name) = (hex $1, $2, $3, hex $4, $5);
	next unless $sec eq '.text';
	if ($flags =~ /F/) {
		$func_start{$name} = $val;
		$func_size{$name} = $size;
	} elsif ($flags =~ /^l/ && $name =~ /^[a-z0-9]+_[0-9]+$/) {
		$label{$name} = $val;
	}
}
close $od;

# "mov_1" -> "kit_mov+0x0"
sub label_pc {
	my ($l) = @_;
	die "no label $l in $ko\n" unless exists $label{$l};
	for my $f (keys %func_start) {
		my $off = $label{$l} - $func_start{$f};
		return sprintf("%s+0x%x", $f, $off) if $off >= 0 && $off < $func_size{$f};
	}
	die "label $l is in no function\n";
}

# ---- what the guest reported -------------------------------------------------
my (%kit, %sym, @out);
open(my $g, '<', $guest) or die "$guest: $!";
while (<$g>) {
	s/\r?\n$//;
	if (/^KIT (buffer|pcpu0|sp) (0x[0-9a-f]+)$/) {
		$kit{$1} = hex $2;
	} elsif (/^KIT sym ([0-9a-f]+) \S (\S+)/) {
		$sym{$2} = hex $1;
	} elsif (/^OUT (.*)$/) {
		push @out, $1;
	}
}
close $g;
for my $k (qw(buffer pcpu0 sp)) {
	die "the guest did not report $k\n" unless defined $kit{$k};
}

sub address {
	my ($expr) = @_;
	my ($base, $sign, $n) = $expr =~ /^([a-z0-9_:]+)([+-])(\d+)$/
		or die "bad address $expr\n";
	my $b;
	if ($base eq 'buf') { $b = $kit{buffer} }
	elsif ($base eq 'pcpu') { $b = $kit{pcpu0} }
	elsif ($base eq 'sp') { $b = $kit{sp} }
	elsif ($base =~ /^sym:(.*)$/) {
		die "no $1 in /proc/kallsyms\n" unless defined $sym{$1};
		$b = $sym{$1};
	} else { die "bad address $expr\n" }
	return sprintf("0x%x", $sign eq '+' ? $b + $n : $b - $n);
}

# ---- the expected events, one list per test ----------------------------------
my (@tests, $cur);
my %want_total = (read => 0, write => 0, locked => 0);
open(my $e, '<', $events) or die "$events: $!";
while (<$e>) {
	s/#.*//;
	next unless /\S/;
	my @w = split;
	if ($w[0] eq 'test') {
		my ($todo) = /\bTODO:\s*(.*\S)/;
		$cur = { n => $w[1], name => $w[2], ev => [], todo => $todo };
		die "tests out of order at $w[1]\n" unless $w[1] == @tests;
		push @tests, $cur;
		# kit_run around it (sample_target/insn_target_asm.S)
		push @{$cur->{ev}}, "entry kit_run",
			"read " . label_pc('run_1') . " " . address('sym:kit_buffer+0') . " 8",
			"read " . label_pc('run_2') . " " .
			address('sym:kit_tests+' . 8 * $w[1]) . " 8";
		$want_total{read} += 2;
		next;
	}
	if ($w[0] eq 'entry' || $w[0] eq 'exit') {
		push @{$cur->{ev}}, "$w[0] $w[1]";
		next;
	}
	my ($kind, $pc, $addr, $size, $flag) = @w;
	next if defined $flag && $flag eq 'sp' && !$sp;
	$pc = $pc =~ /\+\*$/ ? $pc : label_pc($pc);
	$addr = address($addr);
	my @kinds = $kind eq 'update' ? ('read', 'write') : ($kind);
	for my $k (@kinds) {
		push @{$cur->{ev}}, "$k $pc $addr $size";
		$want_total{$k}++;
	}
}
close $e;
for my $t (@tests) {
	push @{$t->{ev}}, "write " . label_pc('run_3') . " " .
		address('sym:kit_result+0') . " 8", "exit kit_run";
	$want_total{write}++;
}

# kit_init is gone from /proc/kallsyms once the module is live
sub init_text { return $_[0] eq 'kit_init' && !defined $sym{kit_init} }

# ---- what kedr_sample recorded, normalized ------------------------------------
my ($totals, @rec, @bad_format, @bad_pc);
for my $line (@out) {
	if ($line =~ /^\[Totals\] reads: (\d+); writes: (\d+); locked updates: (\d+)\.$/) {
		$totals = { read => $1, write => $2, locked => $3 };
	} elsif ($line =~ /^TID=(0x[0-9a-f]+) (entry|exit): addr=(0x[0-9a-f]+) \("(\S+)"\)$/) {
		push @bad_pc, $line if !init_text($4) && (!defined $sym{$4} || hex($3) != $sym{$4});
		push @rec, { tid => $1, kind => $2, func => $4, text => "$2 $4" };
	} elsif ($line =~ /^TID=(0x[0-9a-f]+) (read|write|locked update) at (0x[0-9a-f]+) \((\S+)\+(0x[0-9a-f]+)\/(0x[0-9a-f]+) \[kedr_insn_target\]\): addr=(0x[0-9a-f]+), size=(\d+)$/) {
		my ($tid, $kind, $pc, $f, $off, $fsize, $addr, $size) =
			($1, $2, hex $3, $4, $5, hex $6, $7, $8);
		$kind = 'locked' if $kind eq 'locked update';
		# the pc is the original's, and names the right function
		push @bad_pc, $line if !init_text($f) && (!defined $sym{$f} ||
			$pc != $sym{$f} + hex($off) ||
			(defined $func_size{$f} && $func_size{$f} != $fsize));
		push @rec, { tid => $tid, kind => $kind, func => $f,
			     text => "$kind $f+$off $addr $size" };
	} elsif ($line =~ /^\[(Totals while recording|Store)\] /) {
		# what was counted while recording, what the store kept
	} elsif ($line ne '') {
		push @bad_format, $line;
	}
}
result(undef, defined $totals, "the output starts with [Totals]") or exit 0;
result(undef, !@bad_format, "every record line has the documented format", grep { defined } @bad_format[0 .. 4]);
result(undef, !@bad_pc, "every pc is the original's address and names its function (size from the .ko)",
       grep { defined } @bad_pc[0 .. 4]);

# Cut the records into runs of kit_run; between them only the C glue.
my (@runs, @outside, $run);
for my $r (@rec) {
	if (!$run && $r->{text} eq 'entry kit_run') {
		$run = [];
		push @runs, $run;
	}
	if ($run) {
		push @$run, $r;
		undef $run if $r->{text} eq 'exit kit_run';
	} else {
		push @outside, $r;
	}
}
my @stray = grep { !$c_glue{$_->{func}} } @outside;
result(undef, !@stray, "outside kit_run, only the C glue (init, exit, open) has events",
       map { $_->{text} } @stray[0 .. (@stray > 5 ? 4 : $#stray)]);
result(undef, @runs == @tests, "one run of kit_run per test (" . scalar(@tests) . ")",
       "got " . scalar(@runs));

for my $i (0 .. $#tests) {
	my $t = $tests[$i];
	my @got = map { $_->{text} } @{$runs[$i] || []};
	my @want = @{$t->{ev}};
	my $bad;
	for my $j (0 .. ($#got > $#want ? $#got : $#want)) {
		my ($w, $g) = ($want[$j] // '(nothing)', $got[$j] // '(nothing)');
		my $same = $w eq $g;
		if (!$same && $w =~ /^(\S+ \S+\+)\*( .*)$/) {
			$same = $g =~ /^\Q$1\E0x[0-9a-f]+\Q$2\E$/;
		}
		next if $same;
		$bad = $j;
		last;
	}
	my @diag;
	if (defined $bad) {
		my $from = $bad > 2 ? $bad - 2 : 0;
		@diag = ("first difference at event $bad:",
			 sprintf("  %-50s | %s", "expected", "recorded"));
		for my $j ($from .. $bad + 2) {
			push @diag, sprintf("%s %-50s | %s", $j == $bad ? '>' : ' ',
					    $want[$j] // '', $got[$j] // '');
		}
	}
	my $tids = { map { $_->{tid} => 1 } @{$runs[$i] || []} };
	push @diag, "several TIDs in one run" if keys %$tids > 1;
	result($t->{todo}, !defined $bad && keys %$tids <= 1,
	       "test $t->{n} $t->{name}: " . scalar(@want) . " events, each as expected", @diag);
}

# Entries and exits pair up, per TID, in the whole output.
my %depth;
my $pairs_ok = 1;
for my $r (@rec) {
	$depth{$r->{tid}}++ if $r->{kind} eq 'entry';
	$pairs_ok = 0 if $r->{kind} eq 'exit' && --$depth{$r->{tid}} < 0;
}
$pairs_ok &&= !grep { $_ } values %depth;
result(undef, $pairs_ok, "entries and exits pair up in every TID");

# [Totals]: the hand-counted events plus those of the C glue; and all were stored.
my %stored = (read => 0, write => 0, locked => 0);
$stored{$_->{kind}}++ for grep { exists $stored{$_->{kind}} } @rec;
my %glue = (read => 0, write => 0, locked => 0);
$glue{$_->{kind}}++ for grep { exists $glue{$_->{kind}} } @outside;
for my $k (qw(read write locked)) {
	my $want = $want_total{$k} + $glue{$k};
	result(undef, $totals->{$k} == $want,
	       "[Totals] $k = $want_total{$k} expected in the tests + $glue{$k} in the C glue",
	       "got $totals->{$k}");
	result(undef, $stored{$k} == $totals->{$k}, "every $k counted was stored ($stored{$k})",
	       "[Totals] says $totals->{$k}");
}
