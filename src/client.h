/*
 * client: the commands a person types (layer 3). client*.c files share the plumbing
 * declared below; no other role includes this header.
 */
#ifndef KETTLE_CLIENT_H
#define KETTLE_CLIENT_H

int client_version_main(int argc, char **argv);

#endif
