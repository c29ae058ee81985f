/**
 * The live-kernel side of {@code mmcheck conform}: runs a sequential {@link dev.mmcheck.live.LiveProgram}
 * of mm syscalls and page accesses on the running kernel and reports, at each observation point, what
 * the kernel's own oracles say ({@link dev.mmcheck.live.LiveResult}), for comparison with the model.
 *
 * <h2>API</h2>
 * {@code LiveResult r = LiveRunner.run(LiveProgram.builder()...build());} — see {@link dev.mmcheck.live.LiveRunner},
 * {@link dev.mmcheck.live.LiveProgram.Builder}, {@link dev.mmcheck.live.LiveOp}, {@link dev.mmcheck.live.Range},
 * {@link dev.mmcheck.live.LiveOptions}. {@link dev.mmcheck.live.LiveRunner#unavailableReason()} says why
 * a machine cannot run it (not root: no PFNs, no /proc/kpageflags).
 *
 * <h2>The child process</h2>
 * A run forks a "puppet" from the JVM with glibc's {@code clone(fn = pause, own stack, SIGCHLD)}: the
 * child starts in libc's {@code pause()} and never executes Java, so none of the hazards of forking a
 * multi-threaded JVM (locks held by other threads, safepoints, GC) apply. The calling thread seizes
 * it with ptrace, pins it to one CPU (sched_setaffinity), unregisters its inherited rseq area,
 * closes every descriptor but the program's files, unmaps everything but the vDSO/vvar special
 * mappings, and switches THP off for the whole mm (prctl PR_SET_THP_DISABLE; inherited by forks;
 * checked through THP_enabled in /proc/PID/status; large folios in a region are a harness error).
 * From then on the puppet executes exactly one instruction per step, chosen by setting its registers
 * and single-stepping: a {@code syscall} instruction found in the vDSO for system calls, a one-byte
 * {@code mov} to or from memory (also found in the vDSO) for page writes and reads. A fork step is an
 * injected {@code clone(CLONE_PARENT | SIGCHLD)}; PTRACE_O_TRACEFORK makes the new process a puppet
 * too, and CLONE_PARENT makes it a child of the JVM, which reaps it. Because a puppet maps nothing
 * of its own, VmLck and mlockall() see exactly the program's mappings (the vDSO is VM_SPECIAL, which
 * mlock skips).
 *
 * <h2>Faults</h2>
 * A page access is a real user-mode access. If the kernel cannot resolve the fault it queues
 * SIGSEGV/SIGBUS; the tracer sees the signal-delivery-stop, reads the siginfo (signal, si_code such as
 * SEGV_ACCERR / SEGV_MAPERR / BUS_ADRERR, fault address), reports it as that step's fault and
 * discards the signal, so the process lives on for the next step.
 *
 * <h2>Settling</h2>
 * Linux adds new folios to per-CPU LRU batches and moves mlocked folios to the unevictable list
 * through a per-CPU mlock batch; until a batch is flushed a page can be MLOCKED but not yet
 * UNEVICTABLE (measured on 6.18: 19 of 20 undrained runs of an MLOCK_ONFAULT program showed that, and
 * the runs did not all agree). Before each observation the harness calls
 * {@code move_pages(0, 0, NULL, nodes, NULL, 0)}: with no pages it moves nothing, but do_pages_move()
 * still runs lru_cache_disable(), which drains every CPU's batches and waits for it; no privilege is
 * needed. Without NUMA it falls back to a drain on the pinned CPU: a puppet mlock()s a scratch page,
 * and mlock_vma_pages_range() calls lru_add_drain() there. (A plain munmap, which used to drain,
 * does not on 6.18: measured.) The oracles are then read twice (smaps, VmLck, pagemap, kpageflags)
 * and must agree, else they are read again. The tests run every program twice and fail on any
 * difference.
 *
 * <h2>Addresses</h2>
 * The base address is 1 GiB aligned with the program's span free above it, below the vDSO; mmap and
 * mremap results are reported as offsets from it. Without MAP_FIXED an mmap address is a hint the
 * kernel honours when the range is free. Addresses the kernel chooses itself (mremap MAYMOVE without
 * FIXED, or an mmap hint the kernel does not take) are found top-down from the vDSO, usually above the span, and are
 * reported as they are: stable within one JVM, not across JVMs.
 */
package dev.mmcheck.live;
