/* Fixture for test/layers/run.sh: a mechanism header (runtime, rank 40 like ipc). */
#ifndef FIXTURE_SPEC_H
#define FIXTURE_SPEC_H

int spec_build(int n);

#endif
