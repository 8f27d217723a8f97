// Counts heap allocations in the rpc-bench process by interposing malloc and friends
// (glibc's __libc_* entry points do the real work). Linked only into rpc-bench.
#pragma once
#include <stdint.h>

/// The number of allocations (malloc, calloc, realloc of NULL or to a new block,
/// posix_memalign, aligned_alloc, memalign) since the process started.
uint64_t rpc_bench_allocation_count(void);
