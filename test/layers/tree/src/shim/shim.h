/* Fixture for test/layers/run.sh: another role's header. */
#ifndef FIXTURE_SHIM_H
#define FIXTURE_SHIM_H

int shim_main(void);

#endif
