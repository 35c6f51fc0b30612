import 'io_transport.dart';
import 'transport.dart';

ApiTransport createDefaultTransport() => IoHttpTransport();
