/* being written */
typedef int cairn_placeholder_cairn_conversation;
