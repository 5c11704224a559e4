/* Heap trimming when the scheduler is quiet (no probe running or queued):
 * freed pages go back to the system, at most once a second. */
#ifndef MAILSEC_HEAPTRIM_H
#define MAILSEC_HEAPTRIM_H

struct ctx;

/* Trims now if quiet and the last trim is a second old, or arms a timer
 * for the rest of that second (never with --once). */
void heap_trim_if_quiet(struct ctx *ctx);

#endif
