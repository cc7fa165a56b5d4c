// Package sipcall is a SIP caller.
package sipcall
