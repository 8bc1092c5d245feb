/*
 * client_images: the image commands (layer 3, client role): their tables and mains for
 * kettle.c, and the helpers client_images.c and client_imgio.c share.
 */
#ifndef KETTLE_CLIENT_IMAGES_H
#define KETTLE_CLIENT_IMAGES_H

#include <stddef.h>
#include <stdint.h>

#include "cli/cli.h"

extern const struct cli_cmd client_images_cmd, client_image_cmd, client_history_cmd, client_tag_cmd,
	client_rmi_cmd, client_load_cmd, client_import_cmd, client_save_cmd;
int client_images_main(int argc, char **argv);
int client_image_main(int argc, char **argv);
int client_history_main(int argc, char **argv);
int client_tag_main(int argc, char **argv);
int client_rmi_main(int argc, char **argv);
/* client_imgio.c */
int client_load_main(int argc, char **argv);
int client_import_main(int argc, char **argv);
int client_save_main(int argc, char **argv);

/* docker's sizes: decimal units, three significant digits ("4.26MB", "855B")
 * (client_imgio.c). */
void client_images_human_size(uint64_t bytes, char *out, size_t cap);

#endif
