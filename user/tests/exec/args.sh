#!/bin/sh
printf "%s|" "$0" "$@"
