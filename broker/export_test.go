package broker

// SegmentBytes is segmentBytes, for the tests of package broker_test.
const SegmentBytes = segmentBytes
