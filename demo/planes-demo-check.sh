#!/bin/sh
# planes-demo-check: run the demo VMM (planes-demo, in the same directory)
# and check its output line by line, so that a demo which says PASS but
# shows the wrong timeline still fails. tests/planes.list runs it in the
# test VM (busybox sh); scripts/build-demo.sh installs it without ".sh".
# Exit status as a kselftest: 0 pass, 4 skip (the kernel has no planes),
# 1 fail. The VMM's whole output is shown first, then one line per check.
#
# The timeline must be exactly the expected one, in order: every exit, and
# the MSI thread's line between the READY exit and the plane event it
# causes. A stall (a KVM_RUN without an exit for 5 s) fails, whatever the
# demo said after it.

dir=$(dirname "$0")
out=$(mktemp) || exit 1
timeline=$(mktemp) || exit 1
want=$(mktemp) || exit 1
trap 'rm -f "$out" "$timeline" "$want"' EXIT
"$dir/planes-demo" >"$out" 2>&1
rc=$?
cat "$out"
echo

failed=0
ok() { echo "check: ok   $1"; }
bad() { echo "check: FAIL $1"; failed=1; }

# has COUNT ERE DESCRIPTION: exactly COUNT output lines match ERE.
has() {
	n=$(grep -cE "$2" "$out")
	if [ "$n" = "$1" ]; then ok "$3"; else bad "$3 (expected $1 line(s), found $n)"; fi
}

if [ $rc = 4 ]; then
	has 1 '^SKIP: no planes' "exit 4 comes with the SKIP line"
	[ $failed = 0 ] && exit 4
	exit 1
fi

[ $rc = 0 ] && ok "planes-demo exited 0" || bad "planes-demo exited $rc"
# api.rst: 4 planes on a default VM.
has 1 '^KVM_CAP_PLANES on the VM fd: 4$' "KVM_CAP_PLANES on the VM fd is 4"
has 0 'stall|no exit for|resum' "no stalled KVM_RUN"

# The timeline: the lines after its two header lines, up to the blank line.
sed -n '/^Timeline (/,/^$/p' "$out" | sed '1,2d; /^$/d' >"$timeline"
# One ERE per line: "  SEQ  PLANE  EXIT  DETAIL  ACTION"; 3 = NR_VTL_CALLS.
io=' +KVM_EXIT_IO +out'
cat >"$want" <<EOF
^ +1 +0${io} 0xe0 VTL call, eax=1 +switch to plane 1 \(entry: call\)$
^ +2 +1${io} 0xe1 VTL return, eax=1001 +switch to plane 0$
^ +3 +0${io} 0xe2 result, eax=1001 +right answer for 1, continue$
^ +4 +0${io} 0xe0 VTL call, eax=2 +switch to plane 1 \(entry: call\)$
^ +5 +1${io} 0xe1 VTL return, eax=1004 +switch to plane 0$
^ +6 +0${io} 0xe2 result, eax=1004 +right answer for 2, continue$
^ +7 +0${io} 0xe0 VTL call, eax=3 +switch to plane 1 \(entry: call\)$
^ +8 +1${io} 0xe1 VTL return, eax=1009 +switch to plane 0$
^ +9 +0${io} 0xe2 result, eax=1009 +right answer for 3, continue$
^ +10 +0${io} 0xe3 ready for interrupt +req_exit_planes 0x2, MSI thread started$
^ +\(MSI thread\) +plane 0 in KVM_RUN 11, spun [1-9][0-9]{2,} times +KVM_SIGNAL_MSI vector 0x40 to plane 1: 1$
^ +11 +0 +KVM_EXIT_PLANE_EVENT +cause INTERRUPT, pending 0x2, target 0x2 +switch to plane 1 \(entry: interrupt\)$
^ +12 +1${io} 0xe4 interrupt serviced, eax=1 +continue plane 1$
^ +13 +1${io} 0xe1 VTL return, eax=1 +switch to plane 0$
^ +14 +0${io} 0xe5 done, eax=1 +stop$
EOF
i=0 first_bad=
while IFS= read -r pattern; do
	i=$((i + 1))
	line=$(sed -n "${i}p" "$timeline")
	if ! printf '%s\n' "$line" | grep -qE "$pattern"; then
		first_bad="line $i is '$line', expected /$pattern/"
		break
	fi
done <"$want"
n_want=$(grep -c . "$want")
n_got=$(grep -c . "$timeline")
if [ -n "$first_bad" ]; then
	bad "timeline in order: $first_bad"
elif [ "$n_got" != "$n_want" ]; then
	bad "timeline in order: $n_got lines, expected $n_want"
else
	ok "timeline in order: 3 VTL calls and returns with right answers, READY, the MSI from the other thread during KVM_RUN 11, that KVM_RUN ending with the plane event, plane 1's handler, done"
fi

# One CPU: plane 1's local APIC id (KVM_GET_LAPIC, APIC ID register) is plane 0's.
ids=$(sed -n 's/^Local APIC ids (KVM_GET_LAPIC, APIC ID register): plane 0 \([0-9][0-9]*\), plane 1 \([0-9][0-9]*\)$/\1 \2/p' "$out")
set -- $ids
if [ $# = 2 ] && [ "$1" = "$2" ]; then
	ok "plane 1's local APIC id is plane 0's ($1)"
else
	bad "plane 1's local APIC id is plane 0's (got '${ids:-no APIC id line}')"
fi

has 1 '^  VTL calls served: 3 of 3$' "summary: 3 VTL calls served"
has 1 '^  MSIs sent to plane 1: 1, plane events: 1$' "summary: 1 MSI, 1 plane event"
has 1 '^  interrupts serviced in plane 1: 1$' "summary: 1 interrupt serviced in plane 1"
has 1 '^  KVM_RUN returned [0-9]+ us after the other thread sent the MSI$' \
	"summary: the time from the MSI to the end of KVM_RUN"
has 0 'FAIL' "no FAIL line"
has 1 '^PASS: 3 VTL calls served, 1 interrupt serviced in plane 1$' "PASS line"

[ $failed = 0 ] && echo "check: planes-demo output as expected" && exit 0
echo "check: planes-demo output NOT as expected"
exit 1
