# cstrip.awk — shared by lint.sh and check-layers.sh: blank out C comments and literals.
#
# cstrip(line) sets two globals of exactly the same length as line, so columns line up:
#   CS_S  comments AND the contents of string/char literals replaced by spaces (quotes kept);
#   CS_C  only comments replaced by spaces (literals kept, e.g. for an fopen mode check).
# A block comment may span lines; call cstrip_reset() at the start of every file. A string
# never spans lines (a line-continued literal is treated as ending at the newline).

function cstrip_reset()
{
	cs_in_comment = 0
}

function cstrip(line,    i, n, ch, nx, s, c, state)
{
	s = ""
	c = ""
	n = length(line)
	state = cs_in_comment ? "comment" : "code"
	for (i = 1; i <= n; i++) {
		ch = substr(line, i, 1)
		nx = substr(line, i + 1, 1)
		if (state == "comment") {
			if (ch == "*" && nx == "/") {
				s = s "  "
				c = c "  "
				i++
				state = "code"
			} else {
				s = s " "
				c = c " "
			}
		} else if (state == "string" || state == "char") {
			if (ch == "\\" && i < n) {
				s = s "  "
				c = c ch nx
				i++
			} else if ((state == "string" && ch == "\"") || (state == "char" && ch == "'")) {
				s = s ch
				c = c ch
				state = "code"
			} else {
				s = s " "
				c = c ch
			}
		} else if (ch == "/" && nx == "*") {
			s = s "  "
			c = c "  "
			i++
			state = "comment"
		} else if (ch == "/" && nx == "/") {
			for (; i <= n; i++) {
				s = s " "
				c = c " "
			}
		} else if (ch == "\"") {
			s = s ch
			c = c ch
			state = "string"
		} else if (ch == "'") {
			s = s ch
			c = c ch
			state = "char"
		} else {
			s = s ch
			c = c ch
		}
	}
	cs_in_comment = (state == "comment")
	CS_S = s
	CS_C = c
}

# is_ident_char(ch): true for [A-Za-z0-9_].
function is_ident_char(ch)
{
	return ch != "" && index("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_", ch) > 0
}
