/* The programs of /bin/ferrite (user/system/ferrite.c), each called by its own name. */
#pragma once

int init_main(int argc, char** argv);
int mkswap_main(int argc, char** argv);     /* user/mkswap.c, which the host builds alone too */
int cowdemo_main(int argc, char** argv);
int sharedemo_main(int argc, char** argv);
int swapdemo_main(int argc, char** argv);
