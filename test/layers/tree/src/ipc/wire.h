/* Fixture for test/layers/run.sh: a mechanism header (ipc, rank 40). */
#ifndef FIXTURE_WIRE_H
#define FIXTURE_WIRE_H

int wire_len(int n);

#endif
