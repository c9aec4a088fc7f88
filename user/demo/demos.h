/* The demos of /bin/mmdemo (user/demo/mmdemo.c), each called by its own name. */
#pragma once

int cowdemo_main(int argc, char** argv);
int sharedemo_main(int argc, char** argv);
int swapdemo_main(int argc, char** argv);
