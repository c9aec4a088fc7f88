#pragma once

#define KERNEL_NAME     "Ferrite"
#define KERNEL_VERSION  "0.1.0"
#define KERNEL_ARCH     "i386"
#define KERNEL_BANNER   KERNEL_NAME " version " KERNEL_VERSION " (" KERNEL_ARCH ")"
