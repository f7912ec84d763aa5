/* Preloaded into servers run under valgrind by `ceiling.sh`. valgrind's rt_sigsuspend wrapper
 * takes its own signal out of the caller's mask in place, and libdispatch's signal thread
 * passes a mask in read-only memory: valgrind faults there at the start of every Swift
 * executable. The mask handed on here is a copy on the stack. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <signal.h>

int sigsuspend(const sigset_t *mask) {
    static int (*next)(const sigset_t *);
    if (!next) next = (int (*)(const sigset_t *))dlsym(RTLD_NEXT, "sigsuspend");
    sigset_t copy = *mask;
    return next(&copy);
}
