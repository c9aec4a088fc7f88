"""The page states of k-pagestates and scripts/memmap.py: one character per page frame.

What a frame holds, decided in this order: free; reserved (kernel image, boot tables,
mem_map, the zero page); kmalloc's slab pages and other kernel pages; the swap cache; page
tables and directories; pages user PTEs map: shared (more than one reference, or through a
table shared since fork), else file (a private file mapping's) or user anonymous.
"""
STATE_NAMES = {
    "R": "reserved", "K": "kernel", "T": "page table", "A": "user anonymous",
    "F": "file", "S": "shared", "C": "swap cache", ".": "free",
}
