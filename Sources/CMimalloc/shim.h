#ifndef CMIMALLOC_SHIM_H
#define CMIMALLOC_SHIM_H
#include <mimalloc.h>
#include <stdbool.h>
#include <stdlib.h>

/// Whether mimalloc serves this process's `malloc`: it may be loaded and yet not chosen (the
/// linker's order of libraries, or another allocator in LD_PRELOAD).
static inline bool cmimalloc_serves_malloc(void) {
  void *probe = malloc(16);
  bool ours = probe != NULL && mi_is_in_heap_region(probe);
  free(probe);
  return ours;
}

/// Gives memory freed in large spans (a request frame of megabytes) back to the system at
/// once, not after mimalloc's delay: the delayed decommit runs only when the thread that freed
/// allocates again, so an event loop that goes quiet after a burst of large frames kept tens
/// of megabytes. The operator's MIMALLOC_SEGMENT_DECOMMIT_DELAY, if set, wins. mimalloc 2.1
/// and later purge on another schedule and have no such option; nothing is changed there.
static inline void cmimalloc_return_freed_spans_at_once(void) {
#if MI_MALLOC_VERSION < 210
  if (getenv("MIMALLOC_SEGMENT_DECOMMIT_DELAY") == NULL) mi_option_set(mi_option_segment_decommit_delay, 0);
#endif
}
#endif
