#ifndef PROFILEVAULT_CHARDENING_H
#define PROFILEVAULT_CHARDENING_H
/// Marks the process non-dumpable (no core files, no ptrace by same-uid peers). Returns 0 on success.
int pv_disable_dumpable(void);
#endif
