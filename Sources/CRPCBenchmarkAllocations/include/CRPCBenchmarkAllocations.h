#include <stdint.h>
uint64_t rpc_bench_allocation_count(void);
