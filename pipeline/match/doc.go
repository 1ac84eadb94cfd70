// Package match pairs newcomers with mentors, as volunteer centres do.
package match
