#include "CRPCBenchmarkAllocations.h"
uint64_t rpc_bench_allocation_count(void) { return 0; }
