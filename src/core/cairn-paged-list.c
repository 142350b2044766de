/* being written */
typedef int cairn_placeholder_cairn_paged_list;
