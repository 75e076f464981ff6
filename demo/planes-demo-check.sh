#!/bin/sh
# planes-demo-check: run the demo VMM (planes-demo, in the same directory)
# and check its output line by line, so that a demo which says PASS but
# shows the wrong timeline still fails. tests/planes.list runs it in the
# test VM (busybox sh); scripts/build-demo.sh installs it without ".sh".
# Exit status as a kselftest: 0 pass, 4 skip (the kernel has no planes),
# 1 fail. The VMM's whole output is shown first, then one line per check.

dir=$(dirname "$0")
out=$(mktemp) || exit 1
trap 'rm -f "$out"' EXIT
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

# Timeline lines: "  SEQ  PLANE  EXIT  DETAIL  ACTION". 3 = NR_VTL_CALLS.
t='^ +[0-9]+ +'
[ $rc = 0 ] && ok "planes-demo exited 0" || bad "planes-demo exited $rc"
has 3 "${t}0 +KVM_EXIT_IO +out 0xe0 VTL call, eax=[123] +switch to plane 1" \
	"3 VTL calls from plane 0, each switched to plane 1"
has 4 "${t}1 +KVM_EXIT_IO +out 0xe1 VTL return, eax=[0-9]+ +switch to plane 0" \
	"4 VTL returns from plane 1 (3 calls, 1 interrupt entry)"
has 1 "${t}0 +KVM_EXIT_IO +out 0xe2 result, eax=1001 +right answer" "answer 1001 to request 1"
has 1 "${t}0 +KVM_EXIT_IO +out 0xe2 result, eax=1004 +right answer" "answer 1004 to request 2"
has 1 "${t}0 +KVM_EXIT_IO +out 0xe2 result, eax=1009 +right answer" "answer 1009 to request 3"
has 1 "${t}0 +KVM_EXIT_PLANE_EVENT +cause INTERRUPT, pending 0x2, target 0x2 +switch to plane 1" \
	"plane 1's interrupt arrived as a plane event while plane 0 ran"
has 1 "${t}1 +KVM_EXIT_IO +out 0xe4 interrupt serviced, eax=1 " \
	"1 interrupt serviced in plane 1"
has 1 "${t}0 +KVM_EXIT_IO +out 0xe5 done" "plane 0 finished"
has 1 '^  VTL calls served: 3 of 3$' "summary: 3 VTL calls served"
has 1 '^  interrupts serviced in plane 1: 1$' "summary: 1 interrupt serviced in plane 1"
has 0 'FAIL' "no FAIL line"
has 1 '^PASS: 3 VTL calls served, 1 interrupt serviced in plane 1$' "PASS line"

[ $failed = 0 ] && echo "check: planes-demo output as expected" && exit 0
echo "check: planes-demo output NOT as expected"
exit 1
