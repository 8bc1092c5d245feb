/* Fixture for test/layers/run.sh: a base header. */
#ifndef FIXTURE_KERR_H
#define FIXTURE_KERR_H

int kerr_set(int code);

#endif
