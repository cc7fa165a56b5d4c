package ivr

// SOSWithoutAudio is sosWithoutAudio for the tests of package ivr_test.
var SOSWithoutAudio = sosWithoutAudio
