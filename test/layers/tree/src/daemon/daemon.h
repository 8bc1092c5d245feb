/* Fixture for test/layers/run.sh: a role's header. */
#ifndef FIXTURE_DAEMON_H
#define FIXTURE_DAEMON_H

int daemon_main(void);
int daemon_a_run(int n);
int daemon_a_count(void);
int daemon_b_step(int n);

#endif
