typedef int cairn_placeholder;
