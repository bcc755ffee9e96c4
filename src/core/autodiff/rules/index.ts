/** Importing this module registers every gradient rule. */
import './arithmetic.js';
import './reduce.js';
