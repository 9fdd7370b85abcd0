# Sourced by the bench scripts: CPU time from /proc, in clock ticks (getconf CLK_TCK per second).
# utime+stime of process $1 (the fields after the ')' that ends the command name); fails if it is gone
proc_ticks() { [ -n "$1" ] && [ -r "/proc/$1/stat" ] && awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }
# busy time of all CPUs together: user, nice, system, irq, softirq, steal
host_busy_ticks() { awk '/^cpu /{print $2+$3+$4+$7+$8+$9}' /proc/stat; }
