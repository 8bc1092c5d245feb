/* Fixture for test/layers/run.sh: a mechanism header (store, rank 30). */
#ifndef FIXTURE_IDS_H
#define FIXTURE_IDS_H

int ids_check(int n);

#endif
